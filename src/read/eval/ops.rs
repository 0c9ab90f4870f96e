//! Operators with Nix's meaning: `+` as Nix's string-concatenation node (numbers, then paths,
//! then strings), arithmetic with Nix's integer/float rules (overflow and division by zero are
//! errors), `<` as Nix's `CompareValues` (lists lexicographically), `==` as `eqValues` (deep,
//! derivations by `outPath`, a value equal to itself), `&&`/`||`/`->` short-circuiting, `//`
//! and `++`; and coercion of values into strings. What they build is charged to the memory
//! budget first; an unknown operand makes the result unknown, never a guess.

use super::Evaluator;
use super::builtins::support;
use super::errors::{err, not_static, type_error};
use super::files::normalize;
use super::value::*;
use crate::diagnostics::{Diagnostic, FileId, Kind, Span};
use rnix::ast;
use std::cmp::Ordering;
use std::path::Path;
use std::rc::Rc;

impl Evaluator {
    pub(crate) fn eval_binop(
        &mut self,
        op: &ast::BinOp,
        env: &Env,
        file: FileId,
        span: Span,
    ) -> Result<Val, Diagnostic> {
        use ast::BinOpKind as K;
        let (Some(lhs), Some(rhs), Some(kind)) = (op.lhs(), op.rhs(), op.operator()) else {
            return Err(err(Kind::Syntax, span, "incomplete operator"));
        };
        let val = |v: V| Ok(Val { v, span });
        match kind {
            K::And | K::Or | K::Implication => {
                let l = self.eval(&lhs, env, file)?;
                let lb = match l.v {
                    V::Bool(b) => b,
                    V::Opaque(_) => return Ok(self.opaque_at(&l, span)),
                    _ => return Err(type_error(l.span, "a boolean", &l)),
                };
                let short = match kind {
                    K::And => (!lb).then_some(false),
                    K::Or => lb.then_some(true),
                    _ => (!lb).then_some(true),
                };
                if let Some(b) = short {
                    return val(V::Bool(b));
                }
                let r = self.eval(&rhs, env, file)?;
                match r.v {
                    V::Bool(b) => val(V::Bool(b)),
                    V::Opaque(_) => Ok(self.opaque_at(&r, span)),
                    _ => Err(type_error(r.span, "a boolean", &r)),
                }
            }
            // rnix parses the pipe operators of later Nix versions; Nix 2.8 has none.
            K::PipeRight | K::PipeLeft => Err(err(
                Kind::Syntax,
                span,
                format!(
                    "the operator `{}` is not in Nix 2.8",
                    if kind == K::PipeRight { "|>" } else { "<|" }
                ),
            )
            .with_hint("apply the function instead: `f x`")),
            _ => {
                let l = self.eval(&lhs, env, file)?;
                let r = self.eval(&rhs, env, file)?;
                // `"${self}/x" + "/y"`: the store copy's path grows by the string.
                if kind == K::Add
                    && let V::Opaque(o) = &l.v
                    && let Some(p) = &o.store_copy
                    && let Ok(Ok(tail)) = self.coerce_to_string(&r, false)
                {
                    let mut joined = p.as_os_str().to_os_string();
                    joined.push(&*tail);
                    let shown = format!("{} + …", o.describe());
                    return val(store_copy(normalize(Path::new(&joined)).into(), &shown));
                }
                if matches!(l.v, V::Opaque(_)) {
                    return Ok(self.opaque_at(&l, span));
                }
                if matches!(r.v, V::Opaque(_)) {
                    return Ok(self.opaque_at(&r, span));
                }
                match kind {
                    K::Equal => val(V::Bool(self.equal(&l, &r, span)?)),
                    K::NotEqual => val(V::Bool(!self.equal(&l, &r, span)?)),
                    // As Nix: `a > b` is `b < a`, `a <= b` is `!(b < a)`, `a >= b` is `!(a < b)`.
                    K::Less => val(V::Bool(self.less(&l, &r, span)?)),
                    K::More => val(V::Bool(self.less(&r, &l, span)?)),
                    K::LessOrEq => val(V::Bool(!self.less(&r, &l, span)?)),
                    K::MoreOrEq => val(V::Bool(!self.less(&l, &r, span)?)),
                    K::Add => self.add(&l, &r, span),
                    K::Update => match (&l.v, &r.v) {
                        (V::Attrs(a), V::Attrs(b)) => {
                            if b.is_empty() {
                                return val(V::Attrs(a.clone()));
                            }
                            if a.is_empty() {
                                return val(V::Attrs(b.clone()));
                            }
                            self.charge((a.len() + b.len()) * ENTRY_BYTES, span)?;
                            let mut merged = (**a).clone();
                            for (k, v) in b.iter() {
                                merged.insert(k.clone(), v.clone());
                            }
                            val(V::Attrs(Rc::new(merged)))
                        }
                        (V::Attrs(_), _) => Err(type_error(r.span, "an attribute set", &r)),
                        _ => Err(type_error(l.span, "an attribute set", &l)),
                    },
                    K::Concat => match (&l.v, &r.v) {
                        (V::List(a), V::List(b)) => {
                            self.charge(LIST_BYTES + (a.len() + b.len()) * ITEM_BYTES, span)?;
                            let items: Vec<Thunk> = a.iter().chain(b.iter()).cloned().collect();
                            val(V::List(items.into()))
                        }
                        (V::List(_), _) => Err(type_error(r.span, "a list", &r)),
                        _ => Err(type_error(l.span, "a list", &l)),
                    },
                    K::Sub | K::Mul | K::Div => match (&l.v, &r.v) {
                        (V::Int(a), V::Int(b)) => {
                            let (a, b) = (*a, *b);
                            let overflow = || err(Kind::EvalError, span, "integer overflow");
                            match kind {
                                K::Sub => val(V::Int(a.checked_sub(b).ok_or_else(overflow)?)),
                                K::Mul => val(V::Int(a.checked_mul(b).ok_or_else(overflow)?)),
                                _ => {
                                    if b == 0 {
                                        return Err(err(Kind::EvalError, span, "division by zero"));
                                    }
                                    val(V::Int(a.checked_div(b).ok_or_else(overflow)?))
                                }
                            }
                        }
                        (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => {
                            let a = as_float(&l.v);
                            let b = as_float(&r.v);
                            match kind {
                                K::Sub => val(V::Float(a - b)),
                                K::Mul => val(V::Float(a * b)),
                                _ => {
                                    if b == 0.0 {
                                        return Err(err(Kind::EvalError, span, "division by zero"));
                                    }
                                    val(V::Float(a / b))
                                }
                            }
                        }
                        (V::Int(_) | V::Float(_), _) => Err(type_error(r.span, "a number", &r)),
                        _ => Err(type_error(l.span, "a number", &l)),
                    },
                    _ => Err(not_static(span, "this operator")),
                }
            }
        }
    }

    /// `+` as Nix's string concatenation node evaluates it: numbers add (an integer and a float
    /// give a float); a path first makes a path (what follows is appended as text, so
    /// `./modules + /roles` is `<dir>/modules/roles`); anything else makes a string, where a
    /// path would be copied to the store (which the reader cannot know).
    fn add(&mut self, l: &Val, r: &Val, span: Span) -> Result<Val, Diagnostic> {
        let val = |v: V| Ok(Val { v, span });
        match (&l.v, &r.v) {
            (V::Int(a), V::Int(b)) => {
                val(V::Int(a.checked_add(*b).ok_or_else(|| {
                    err(Kind::EvalError, span, "integer overflow")
                })?))
            }
            (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => {
                val(V::Float(as_float(&l.v) + as_float(&r.v)))
            }
            (V::Int(_) | V::Float(_), _) => Err(err(
                Kind::EvalError,
                span,
                format!("cannot add {} to a number", type_name(r)),
            )),
            (V::Path(a), _) => {
                let tail = match self.coerce_to_string(r, true)? {
                    Ok(s) => s,
                    Err(opaque) => return Ok(self.opaque_at(&opaque, span)),
                };
                let mut joined = a.as_os_str().to_os_string();
                joined.push(&*tail);
                val(V::Path(normalize(Path::new(&joined)).into()))
            }
            _ => {
                let head = match self.coerce_to_string(l, false)? {
                    Ok(s) => s,
                    Err(opaque) => return Ok(self.opaque_at(&opaque, span)),
                };
                let tail = match self.coerce_to_string(r, false)? {
                    Ok(s) => s,
                    Err(opaque) => return Ok(self.opaque_at(&opaque, span)),
                };
                self.charge(head.len() + tail.len(), span)?;
                let mut out = String::with_capacity(head.len() + tail.len());
                out.push_str(&head);
                out.push_str(&tail);
                val(V::Str(out.into()))
            }
        }
    }

    /// A value as Nix coerces it into a string (interpolation, `+`): strings as they are, sets
    /// through `__toString` or `outPath`; a path as its text where Nix keeps it (`path_text`,
    /// after a path), otherwise it would be copied to the store, which the reader cannot know.
    /// `Err(value)` is an opaque value met on the way.
    pub(crate) fn coerce_to_string(
        &mut self,
        v: &Val,
        path_text: bool,
    ) -> Result<Result<Rc<str>, Val>, Diagnostic> {
        match &v.v {
            V::Str(s) => Ok(Ok(s.clone())),
            V::Opaque(_) => Ok(Err(v.clone())),
            V::Path(p) if path_text => Ok(Ok(p.to_string_lossy().into())),
            V::Path(_) => Err(not_static(
                v.span,
                "a path inside a string (Nix copies it to the store)",
            )),
            V::Attrs(map) => {
                if let Some(b) = map.get("__toString") {
                    let f = self.force(&b.thunk.clone())?;
                    let s = self.apply(f, Thunk::ready(v.clone()), v.span)?;
                    return self.coerce_to_string(&s, path_text);
                }
                if let Some(b) = map.get("outPath") {
                    let o = self.force(&b.thunk.clone())?;
                    return self.coerce_to_string(&o, path_text);
                }
                Err(cannot_coerce(v))
            }
            _ => Err(cannot_coerce(v)),
        }
    }

    /// Nix's `<` (`CompareValues`, the builtins' ordering): numbers, strings and paths by value,
    /// lists lexicographically; nothing else. An unknown operand makes it not static.
    pub(crate) fn less(&mut self, a: &Val, b: &Val, span: Span) -> Result<bool, Diagnostic> {
        match support::compare(self, a, b, span)? {
            Ok(order) => Ok(order == Ordering::Less),
            Err(_) => Err(not_static(span, "this comparison")),
        }
    }

    /// Nix's `==` (`eqValues`, the builtins' equality). Nix compares copies of the two
    /// operands, so at the top a function is never equal, not even to itself; inside lists and
    /// sets the same element is equal to itself. An unknown value met inside is not static.
    pub(crate) fn equal(&mut self, a: &Val, b: &Val, span: Span) -> Result<bool, Diagnostic> {
        let function = |v: &Val| matches!(v.v, V::Lambda(_) | V::Builtin(..));
        if function(a) || function(b) {
            return Ok(false);
        }
        match support::equal(self, a, b, span)? {
            Ok(same) => Ok(same),
            Err(_) => Err(not_static(span, "this comparison")),
        }
    }
}

fn cannot_coerce(v: &Val) -> Diagnostic {
    err(
        Kind::EvalError,
        v.span,
        format!("cannot put {} into a string", type_name(v)),
    )
    .with_hint(
        "only strings, and attribute sets with `outPath` or `__toString`, can be put into a string",
    )
}

/// Approximate sizes charged to the memory budget (see `Evaluator::charge`).
pub(crate) const LIST_BYTES: usize = 32;
pub(crate) const ITEM_BYTES: usize = 8;
pub(crate) const ENTRY_BYTES: usize = 48;
