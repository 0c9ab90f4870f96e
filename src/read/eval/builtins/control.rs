//! Control of evaluation: `throw`, `abort`, `tryEval`, `seq`, `deepSeq` and `trace`.
//!
//! `tryEval` catches exactly what Nix 2.8's catches: `throw` and failed `assert`s; `abort`,
//! type errors, missing attributes and values the reader cannot know propagate. `trace` forces
//! its message as Nix does and prints nothing (the reader's output is its product; a trace is
//! not a diagnostic). An opaque value met by `seq`/`deepSeq` makes the result opaque: forcing it
//! might fail in Nix, and the reader cannot know.

use super::super::Evaluator;
use super::super::errors::{err, type_error};
use super::super::value::*;
use super::BuiltinDef;
use super::support::*;
use crate::diagnostics::{Diagnostic, Kind, Span};
use std::collections::HashSet;

pub static CONTROL: &[BuiltinDef] = defs![
    ("throw", 1, throw),
    ("abort", 1, abort),
    ("tryEval", 1, try_eval),
    ("seq", 2, seq),
    ("deepSeq", 2, deep_seq),
    ("trace", 2, trace),
];

/// What the message of a `throw` starts with; `tryEval` recognises thrown errors by it.
const THROWN: &str = "the inventory throws: ";
/// The message of a failed `assert` (written by the evaluator of expressions).
const ASSERTION: &str = "assertion failed";

/// True for the errors Nix's `tryEval` catches: `throw` and `assert`.
pub(crate) fn catchable(d: &Diagnostic) -> bool {
    d.kind == Kind::EvalError
        && (d.message.starts_with(THROWN)
            || d.message == ASSERTION
            // The expression evaluator names the condition: "assertion `c` failed".
            || (d.message.starts_with("assertion `") && d.message.ends_with("` failed")))
}

fn message(ev: &mut Evaluator, t: &Thunk, span: Span) -> Result<Result<String, Val>, Diagnostic> {
    let v = ev.force(t)?;
    match &v.v {
        V::Str(s) => Ok(Ok(s.to_string())),
        V::Opaque(_) => Ok(Err(ev.opaque_at(&v, span))),
        _ => Err(type_error(v.span, "a string", &v)),
    }
}

/// The error of `throw text` at `span`: what `tryEval` catches. `lib` functions that throw
/// (`throwIf`, `assertMsg`, …) make their errors with it.
pub(crate) fn thrown(span: Span, text: &str) -> Diagnostic {
    err(Kind::EvalError, span, format!("{THROWN}{text}"))
}

pub(crate) fn throw(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let text = message(ev, &args[0], span)?.unwrap_or_else(|_| "(a message not known)".into());
    Err(thrown(span, &text))
}

fn abort(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let text = message(ev, &args[0], span)?.unwrap_or_else(|_| "(a message not known)".into());
    Err(err(
        Kind::EvalError,
        span,
        format!("the inventory aborts: {text}"),
    ))
}

fn try_eval(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let (success, value) = match ev.force(&args[0]) {
        Ok(_) => (true, args[0].clone()),
        Err(d) if catchable(&d) => (false, ready(V::Bool(false), span)),
        Err(d) => return Err(d),
    };
    let mut map = AttrMap::new();
    map.insert(
        "success".into(),
        binding(ready(V::Bool(success), span), span),
    );
    map.insert("value".into(), binding(value, span));
    attrs_val(map, span)
}

fn seq(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let first = ev.force(&args[0])?;
    if let V::Opaque(_) = first.v {
        return Ok(ev.opaque_at(&first, span));
    }
    ev.force(&args[1])
}

fn deep_seq(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let first = ev.force(&args[0])?;
    if let Err(opaque) = deep_force(ev, &first, span, &mut HashSet::new())? {
        return Ok(opaque);
    }
    ev.force(&args[1])
}

/// Forces a value and everything in it, each shared list or set once (so a cyclic value ends).
pub(crate) fn deep_force(
    ev: &mut Evaluator,
    v: &Val,
    span: Span,
    seen: &mut HashSet<usize>,
) -> Got<()> {
    let children: Vec<Thunk> = match &v.v {
        V::Opaque(_) => return Ok(Err(ev.opaque_at(v, span))),
        V::List(items) => {
            if !seen.insert(items.as_ptr() as *const () as usize) {
                return Ok(Ok(()));
            }
            items.to_vec()
        }
        V::Attrs(map) => {
            if !seen.insert(std::rc::Rc::as_ptr(map) as *const () as usize) {
                return Ok(Ok(()));
            }
            map.values().map(|b| b.thunk.clone()).collect()
        }
        V::Override { content, .. } => vec![content.clone()],
        _ => return Ok(Ok(())),
    };
    nested(ev, span, |ev| {
        for child in &children {
            let c = ev.force(child)?;
            if let Err(opaque) = deep_force(ev, &c, span, seen)? {
                return Ok(Err(opaque));
            }
        }
        Ok(Ok(()))
    })
}

fn trace(ev: &mut Evaluator, args: &[Thunk], _span: Span) -> Result<Val, Diagnostic> {
    ev.force(&args[0])?;
    ev.force(&args[1])
}
