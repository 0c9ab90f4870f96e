//! Arithmetic and comparison builtins: `add`, `sub`, `mul`, `div`, `bitAnd`, `bitOr`, `bitXor`
//! and `lessThan`. Integers stay integers, a float operand makes a float, as in Nix; integer
//! overflow and division by zero are errors (Nix 2.8 wraps on overflow; the reader refuses to
//! guess).

use super::super::Evaluator;
use super::super::errors::type_error;
use super::super::value::*;
use super::BuiltinDef;
use super::support::*;
use crate::diagnostics::{Diagnostic, Span};

pub static NUMBERS: &[BuiltinDef] = defs![
    ("add", 2, add),
    ("sub", 2, sub),
    ("mul", 2, mul),
    ("div", 2, div),
    ("bitAnd", 2, bit_and),
    ("bitOr", 2, bit_or),
    ("bitXor", 2, bit_xor),
    ("lessThan", 2, less_than),
];

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

fn number(ev: &mut Evaluator, t: &Thunk, span: Span) -> Result<Result<Val, Val>, Diagnostic> {
    let v = ev.force(t)?;
    match &v.v {
        V::Int(_) | V::Float(_) => Ok(Ok(v)),
        V::Opaque(_) => Ok(Err(ev.opaque_at(&v, span))),
        _ => Err(type_error(v.span, "a number", &v)),
    }
}

fn arith(ev: &mut Evaluator, args: &[Thunk], span: Span, op: Op) -> Result<Val, Diagnostic> {
    let a = want!(number(ev, &args[0], span));
    let b = want!(number(ev, &args[1], span));
    let overflow = || eval_error(span, "integer overflow");
    let zero = || eval_error(span, "division by zero");
    if let (V::Int(x), V::Int(y)) = (&a.v, &b.v) {
        let (x, y) = (*x, *y);
        let r = match op {
            Op::Add => x.checked_add(y),
            Op::Sub => x.checked_sub(y),
            Op::Mul => x.checked_mul(y),
            Op::Div if y == 0 => return Err(zero()),
            Op::Div => x.checked_div(y),
        };
        return val(V::Int(r.ok_or_else(overflow)?), span);
    }
    let (x, y) = (as_float(&a.v), as_float(&b.v));
    let r = match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        Op::Mul => x * y,
        Op::Div if y == 0.0 => return Err(zero()),
        Op::Div => x / y,
    };
    val(V::Float(r), span)
}

fn add(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    arith(ev, a, s, Op::Add)
}
fn sub(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    arith(ev, a, s, Op::Sub)
}
fn mul(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    arith(ev, a, s, Op::Mul)
}
fn div(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    arith(ev, a, s, Op::Div)
}

fn bits(
    ev: &mut Evaluator,
    args: &[Thunk],
    span: Span,
    f: fn(i64, i64) -> i64,
) -> Result<Val, Diagnostic> {
    let a = want!(int(ev, &args[0], span));
    let b = want!(int(ev, &args[1], span));
    val(V::Int(f(a, b)), span)
}

fn bit_and(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    bits(ev, a, s, |x, y| x & y)
}
fn bit_or(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    bits(ev, a, s, |x, y| x | y)
}
fn bit_xor(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    bits(ev, a, s, |x, y| x ^ y)
}

pub(crate) fn less_than(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let a = ev.force(&args[0])?;
    let b = ev.force(&args[1])?;
    let ord = want!(compare(ev, &a, &b, span));
    val(V::Bool(ord.is_lt()), span)
}
