//! Type predicates (`isInt`, `isAttrs`, … `typeOf`) and `functionArgs`. Each forces its argument
//! to weak head normal form only; an opaque argument gives an opaque answer, since the reader
//! cannot know its type.

use super::super::Evaluator;
use super::super::errors::type_error;
use super::super::value::*;
use super::BuiltinDef;
use super::support::*;
use crate::diagnostics::{Diagnostic, Span};
use rnix::ast;
use rowan::ast::AstNode;

pub static TYPES: &[BuiltinDef] = defs![
    ("isAttrs", 1, is_attrs),
    ("isBool", 1, is_bool),
    ("isFloat", 1, is_float),
    ("isFunction", 1, is_function),
    ("isInt", 1, is_int),
    ("isList", 1, is_list),
    ("isNull", 1, is_null),
    ("isPath", 1, is_path),
    ("isString", 1, is_string),
    ("typeOf", 1, type_of),
    ("functionArgs", 1, function_args),
];

/// Nix's name of a value's type, as `typeOf` gives it; `None` for an opaque value.
pub(crate) fn nix_type(v: &Val) -> Option<&'static str> {
    Some(match &v.v {
        V::Null => "null",
        V::Bool(_) => "bool",
        V::Int(_) => "int",
        V::Float(_) => "float",
        V::Str(_) => "string",
        V::Path(_) => "path",
        V::List(_) => "list",
        V::Attrs(_) | V::Override { .. } => "set",
        V::Lambda(_) | V::Builtin(..) => "lambda",
        V::Opaque(_) => return None,
    })
}

fn is_type(ev: &mut Evaluator, args: &[Thunk], span: Span, name: &str) -> Result<Val, Diagnostic> {
    let v = ev.force(&args[0])?;
    match nix_type(&v) {
        Some(t) => val(V::Bool(t == name), span),
        None => Ok(ev.opaque_at(&v, span)),
    }
}

fn is_attrs(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    is_type(ev, a, s, "set")
}
fn is_bool(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    is_type(ev, a, s, "bool")
}
fn is_float(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    is_type(ev, a, s, "float")
}
fn is_function(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    is_type(ev, a, s, "lambda")
}
fn is_int(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    is_type(ev, a, s, "int")
}
fn is_list(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    is_type(ev, a, s, "list")
}
fn is_null(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    is_type(ev, a, s, "null")
}
fn is_path(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    is_type(ev, a, s, "path")
}
fn is_string(ev: &mut Evaluator, a: &[Thunk], s: Span) -> Result<Val, Diagnostic> {
    is_type(ev, a, s, "string")
}

fn type_of(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let v = ev.force(&args[0])?;
    match nix_type(&v) {
        Some(t) => val(V::Str(t.into()), span),
        None => Ok(ev.opaque_at(&v, span)),
    }
}

/// `functionArgs f`: for a lambda with a pattern, each formal mapped to whether it has a
/// default; `{}` for other lambdas and for builtins.
fn function_args(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let f = ev.force(&args[0])?;
    let mut map = AttrMap::new();
    match &f.v {
        V::Lambda(closure) => {
            if let Some(ast::Param::Pattern(pattern)) = closure.lambda.param() {
                for entry in pattern.pat_entries() {
                    let Some(ident) = entry.ident() else { continue };
                    let key_span = Span::new(closure.file, entry.syntax().text_range());
                    let has_default = entry.default().is_some();
                    map.insert(
                        ident_name(&ident),
                        binding(ready(V::Bool(has_default), key_span), key_span),
                    );
                }
            }
        }
        V::Builtin(..) => {}
        V::Opaque(_) => return Ok(ev.opaque_at(&f, span)),
        _ => return Err(type_error(f.span, "a function", &f)),
    }
    attrs_val(map, span)
}
