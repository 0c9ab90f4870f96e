//! What the builtin families share: forcing an argument to the type a builtin needs (an opaque
//! argument makes the builtin's result opaque instead of an error, since the reader cannot know
//! it), calling Nix functions eagerly or lazily, Nix's string coercion, and Nix's ordering of
//! values (`lessThan`, `sort`). Every helper forces only what it is asked to, so each builtin
//! keeps exactly Nix's laziness.

use super::super::Evaluator;
use super::super::errors::{err, not_static, type_error};
use super::super::value::*;
use crate::diagnostics::{Diagnostic, Kind, Span};
use std::cmp::Ordering;
use std::rc::Rc;

/// A forced argument: the wanted value, or the opaque value the builtin must return instead.
pub(crate) type Got<T> = Result<Result<T, Val>, Diagnostic>;

/// Unwraps a [`Got`]: returns the opaque result from the calling builtin when the argument was
/// not known.
macro_rules! want {
    ($e:expr) => {
        match $e? {
            Ok(x) => x,
            Err(opaque) => return Ok(opaque),
        }
    };
}
pub(crate) use want;

/// A family's table of builtins: `defs![("name", arity, function), …]`.
macro_rules! defs {
    ($(($name:literal, $arity:literal, $run:path)),* $(,)?) => {
        &[$(super::BuiltinDef { name: $name, arity: $arity, run: $run }),*]
    };
}
pub(crate) use defs;

pub(crate) fn val(v: V, span: Span) -> Result<Val, Diagnostic> {
    Ok(Val { v, span })
}

pub(crate) fn eval_error(span: Span, message: impl Into<String>) -> Diagnostic {
    err(Kind::EvalError, span, message)
}

/// The opaque value a builtin returns (at its call) when `from` is opaque.
fn unknown<T>(ev: &Evaluator, from: &Val, span: Span) -> Result<T, Val> {
    Err(ev.opaque_at(from, span))
}

pub(crate) fn list(ev: &mut Evaluator, t: &Thunk, span: Span) -> Got<Rc<[Thunk]>> {
    let v = ev.force(t)?;
    match &v.v {
        V::List(items) => Ok(Ok(items.clone())),
        V::Opaque(_) => Ok(unknown(ev, &v, span)),
        _ => Err(type_error(v.span, "a list", &v)),
    }
}

/// An attribute set; `lib.mkForce x` and friends are the attribute sets Nix makes of them
/// (`{ _type = "override"; content; priority; }`).
pub(crate) fn attrs(ev: &mut Evaluator, t: &Thunk, span: Span) -> Got<Rc<AttrMap>> {
    let v = ev.force(t)?;
    Ok(match as_attrs(&v) {
        Some(map) => Ok(map),
        None if matches!(v.v, V::Opaque(_)) => unknown(ev, &v, span),
        None => return Err(type_error(v.span, "an attribute set", &v)),
    })
}

/// The attributes of an attribute-set value (see [`attrs`]), if it is one.
pub(crate) fn as_attrs(v: &Val) -> Option<Rc<AttrMap>> {
    match &v.v {
        V::Attrs(map) => Some(map.clone()),
        V::Override {
            priority, content, ..
        } => {
            let bind = |thunk| Binding {
                thunk,
                key_span: v.span,
            };
            let mut map = AttrMap::new();
            map.insert(
                "_type".into(),
                bind(Thunk::ready(Val {
                    v: V::Str("override".into()),
                    span: v.span,
                })),
            );
            map.insert("content".into(), bind(content.clone()));
            map.insert(
                "priority".into(),
                bind(Thunk::ready(Val {
                    v: V::Int(*priority),
                    span: v.span,
                })),
            );
            Some(Rc::new(map))
        }
        _ => None,
    }
}

/// A string, strictly (no coercion), as Nix's `forceString`.
pub(crate) fn string(ev: &mut Evaluator, t: &Thunk, span: Span) -> Got<Rc<str>> {
    let v = ev.force(t)?;
    match &v.v {
        V::Str(s) => Ok(Ok(s.clone())),
        V::Opaque(_) => Ok(unknown(ev, &v, span)),
        _ => Err(type_error(v.span, "a string", &v)),
    }
}

pub(crate) fn int(ev: &mut Evaluator, t: &Thunk, span: Span) -> Got<i64> {
    let v = ev.force(t)?;
    match &v.v {
        V::Int(i) => Ok(Ok(*i)),
        V::Opaque(_) => Ok(unknown(ev, &v, span)),
        _ => Err(type_error(v.span, "an integer", &v)),
    }
}

/// A function (lambda, builtin, or an opaque one, which stays callable).
pub(crate) fn function(ev: &mut Evaluator, t: &Thunk) -> Result<Val, Diagnostic> {
    let v = ev.force(t)?;
    match &v.v {
        V::Lambda(_) | V::Builtin(..) | V::Opaque(_) => Ok(v),
        _ => Err(type_error(v.span, "a function", &v)),
    }
}

/// `f a b …`, evaluated now.
pub(crate) fn call(
    ev: &mut Evaluator,
    f: &Val,
    args: &[Thunk],
    span: Span,
) -> Result<Val, Diagnostic> {
    let mut f = f.clone();
    for a in args {
        f = ev.apply(f, a.clone(), span)?;
    }
    Ok(f)
}

/// `f a b …`, evaluated when forced.
pub(crate) fn lazy_call(f: &Val, args: Vec<Thunk>, span: Span) -> Thunk {
    let f = f.clone();
    Thunk::deferred(span, Box::new(move |ev| call(ev, &f, &args, span)))
}

/// `f a b …` with `f` itself still unevaluated, evaluated when forced (`map`, `genList` and
/// `mapAttrs` do not force their function).
pub(crate) fn lazy_apply(f: &Thunk, args: Vec<Thunk>, span: Span) -> Thunk {
    let f = f.clone();
    Thunk::deferred(
        span,
        Box::new(move |ev| {
            let f = ev.force(&f)?;
            call(ev, &f, &args, span)
        }),
    )
}

pub(crate) fn ready(v: V, span: Span) -> Thunk {
    Thunk::ready(Val { v, span })
}

pub(crate) fn string_thunk(s: &str, span: Span) -> Thunk {
    ready(V::Str(s.into()), span)
}

pub(crate) fn list_val(items: Vec<Thunk>, span: Span) -> Result<Val, Diagnostic> {
    val(V::List(items.into()), span)
}

pub(crate) fn attrs_val(map: AttrMap, span: Span) -> Result<Val, Diagnostic> {
    val(V::Attrs(Rc::new(map)), span)
}

pub(crate) fn binding(thunk: Thunk, key_span: Span) -> Binding {
    Binding { thunk, key_span }
}

/// Guards the recursion of builtins that walk values (deepSeq, toJSON, toString, comparison).
pub(crate) fn nested<T>(
    ev: &mut Evaluator,
    span: Span,
    f: impl FnOnce(&mut Evaluator) -> Result<T, Diagnostic>,
) -> Result<T, Diagnostic> {
    if ev.depth >= super::super::MAX_DEPTH {
        return Err(err(
            Kind::NotStatic,
            span,
            "the value is nested too deeply to read",
        ));
    }
    ev.depth += 1;
    let result = f(ev);
    ev.depth -= 1;
    result
}

/// How a value becomes a string, as Nix's `coerceToString` is asked to. `Copy` is `"${x}"` and
/// most builtins taking strings: strings, sets with `__toString`/`outPath`, and paths, which Nix
/// copies to the store (so their string cannot be known without Nix: not static). `NoCopy`
/// (`baseNameOf`, `dirOf`) takes a path as its absolute name. `ToString` is `toString`: a path
/// is its name, and numbers, booleans, null and lists are taken too.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coerce {
    Copy,
    NoCopy,
    ToString,
}

/// Nix's `coerceToString` (see [`Coerce`]).
pub(crate) fn coerce(ev: &mut Evaluator, v: &Val, how: Coerce, span: Span) -> Got<String> {
    nested(ev, span, |ev| coerce_inner(ev, v, how, span))
}

fn coerce_inner(ev: &mut Evaluator, v: &Val, how: Coerce, span: Span) -> Got<String> {
    let more = how == Coerce::ToString;
    Ok(Ok(match &v.v {
        V::Str(s) => s.to_string(),
        V::Path(_) if how == Coerce::Copy => {
            return Err(not_static(
                v.span,
                "a path made a string (Nix copies it to the store)",
            ));
        }
        V::Path(p) => p.display().to_string(),
        V::Opaque(_) => return Ok(unknown(ev, v, span)),
        V::Attrs(map) => {
            if let Some(b) = map.get("__toString") {
                let f = ev.force(&b.thunk)?;
                let r = call(ev, &f, &[Thunk::ready(v.clone())], span)?;
                return coerce(ev, &r, how, span);
            }
            if let Some(b) = map.get("outPath") {
                let out = ev.force(&b.thunk)?;
                return coerce(ev, &out, how, span);
            }
            return Err(cannot_coerce(v));
        }
        V::Null if more => String::new(),
        V::Bool(b) if more => if *b { "1" } else { "" }.into(),
        V::Int(i) if more => i.to_string(),
        V::Float(f) if more => format!("{f:.6}"),
        V::List(items) if more => {
            let mut out = String::new();
            for (n, item) in items.iter().enumerate() {
                let item = ev.force(item)?;
                let s = match coerce(ev, &item, how, span)? {
                    Ok(s) => s,
                    Err(opaque) => return Ok(Err(opaque)),
                };
                if n > 0 {
                    out.push(' ');
                }
                out.push_str(&s);
            }
            out
        }
        _ => return Err(cannot_coerce(v)),
    }))
}

fn cannot_coerce(v: &Val) -> Diagnostic {
    eval_error(
        v.span,
        format!("cannot coerce {} to a string", type_name(v)),
    )
}

/// Nix's equality (`eqValues`), bounded in depth: numbers across int and float, sets that are
/// both derivations by their `outPath`, functions never equal, except that a value is equal to
/// itself. Nix decides "itself" by the address of the value; the reader by the identity of the
/// shared list, set or function, which agrees wherever Nix passes a value on without copying
/// it (a variable, an element, an argument). An opaque operand makes the answer unknown.
pub(crate) fn equal(ev: &mut Evaluator, a: &Val, b: &Val, span: Span) -> Got<bool> {
    nested(ev, span, |ev| equal_inner(ev, a, b, span))
}

fn same(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::List(x), V::List(y)) => Rc::ptr_eq(x, y),
        (V::Attrs(x), V::Attrs(y)) => Rc::ptr_eq(x, y),
        (V::Lambda(x), V::Lambda(y)) => Rc::ptr_eq(x, y),
        (V::Builtin(f, x), V::Builtin(g, y)) => std::ptr::eq(*f, *g) && Rc::ptr_eq(x, y),
        _ => false,
    }
}

fn is_derivation(ev: &mut Evaluator, map: &AttrMap) -> Result<bool, Diagnostic> {
    let Some(t) = map.get("type") else {
        return Ok(false);
    };
    let t = ev.force(&t.thunk)?;
    Ok(matches!(&t.v, V::Str(s) if &**s == "derivation"))
}

fn equal_inner(ev: &mut Evaluator, a: &Val, b: &Val, span: Span) -> Got<bool> {
    if same(&a.v, &b.v) {
        return Ok(Ok(true));
    }
    Ok(Ok(match (&a.v, &b.v) {
        (V::Opaque(_), _) => return Ok(unknown(ev, a, span)),
        (_, V::Opaque(_)) => return Ok(unknown(ev, b, span)),
        (V::Null, V::Null) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Int(x), V::Int(y)) => x == y,
        (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => as_float(&a.v) == as_float(&b.v),
        (V::Str(x), V::Str(y)) => x == y,
        (V::Path(x), V::Path(y)) => x == y,
        (V::List(x), V::List(y)) => {
            if x.len() != y.len() {
                return Ok(Ok(false));
            }
            for (tx, ty) in x.iter().zip(y.iter()) {
                if Rc::ptr_eq(&tx.0, &ty.0) {
                    continue;
                }
                let vx = ev.force(tx)?;
                let vy = ev.force(ty)?;
                match equal(ev, &vx, &vy, span)? {
                    Ok(true) => {}
                    other => return Ok(other),
                }
            }
            true
        }
        (V::Attrs(_) | V::Override { .. }, V::Attrs(_) | V::Override { .. }) => {
            let (x, y) = (
                as_attrs(a).unwrap_or_default(),
                as_attrs(b).unwrap_or_default(),
            );
            if is_derivation(ev, &x)?
                && is_derivation(ev, &y)?
                && let (Some(ox), Some(oy)) = (x.get("outPath"), y.get("outPath"))
            {
                let vx = ev.force(&ox.thunk)?;
                let vy = ev.force(&oy.thunk)?;
                return equal(ev, &vx, &vy, span);
            }
            if x.len() != y.len() || !x.keys().eq(y.keys()) {
                return Ok(Ok(false));
            }
            for (bx, by) in x.values().zip(y.values()) {
                if Rc::ptr_eq(&bx.thunk.0, &by.thunk.0) {
                    continue;
                }
                let vx = ev.force(&bx.thunk)?;
                let vy = ev.force(&by.thunk)?;
                match equal(ev, &vx, &vy, span)? {
                    Ok(true) => {}
                    other => return Ok(other),
                }
            }
            true
        }
        _ => false,
    }))
}

/// Nix's ordering (`CompareValues`): numbers, strings, paths, and lists lexicographically; any
/// other pair is an error. An opaque operand makes the order unknown (`Err(opaque)`).
pub(crate) fn compare(ev: &mut Evaluator, a: &Val, b: &Val, span: Span) -> Got<Ordering> {
    nested(ev, span, |ev| {
        Ok(Ok(match (&a.v, &b.v) {
            (V::Opaque(_), _) => return Ok(unknown(ev, a, span)),
            (_, V::Opaque(_)) => return Ok(unknown(ev, b, span)),
            (V::Int(x), V::Int(y)) => x.cmp(y),
            (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => {
                let (x, y) = (as_float(&a.v), as_float(&b.v));
                // Nix answers `x < y`; NaN is never less, so it compares as equal here.
                x.partial_cmp(&y).unwrap_or(Ordering::Equal)
            }
            (V::Str(x), V::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
            (V::Path(x), V::Path(y)) => x.as_os_str().cmp(y.as_os_str()),
            (V::List(x), V::List(y)) => {
                for i in 0.. {
                    if i == y.len() {
                        return Ok(Ok(if i == x.len() {
                            Ordering::Equal
                        } else {
                            Ordering::Greater
                        }));
                    }
                    if i == x.len() {
                        return Ok(Ok(Ordering::Less));
                    }
                    let xi = ev.force(&x[i])?;
                    let yi = ev.force(&y[i])?;
                    let same = match equal(ev, &xi, &yi, span)? {
                        Ok(same) => same,
                        Err(opaque) => return Ok(Err(opaque)),
                    };
                    if !same {
                        return compare(ev, &xi, &yi, span);
                    }
                }
                unreachable!("the loop returns")
            }
            _ => {
                return Err(eval_error(
                    span,
                    format!("cannot compare {} with {}", type_name(a), type_name(b)),
                ));
            }
        }))
    })
}
