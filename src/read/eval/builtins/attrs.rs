//! Attribute-set builtins: `attrNames`, `attrValues`, `mapAttrs`, `listToAttrs`, `removeAttrs`,
//! `hasAttr`, `getAttr`, `intersectAttrs`, `catAttrs` and `zipAttrsWith`.
//!
//! Names come out sorted bytewise, as Nix sorts them; values stay unevaluated unless Nix
//! forces them (`mapAttrs` and `zipAttrsWith` make values computed when forced; `listToAttrs`
//! keeps the first of repeated names). A result keeps the spans of the names it was given, so a
//! diagnostic about an entry still points at where its name was written.

use super::super::Evaluator;
use super::super::value::*;
use super::BuiltinDef;
use super::support::*;
use crate::diagnostics::{Diagnostic, Span};
use std::rc::Rc;

pub static ATTRS: &[BuiltinDef] = defs![
    ("attrNames", 1, attr_names),
    ("attrValues", 1, attr_values),
    ("mapAttrs", 2, map_attrs),
    ("listToAttrs", 1, list_to_attrs),
    ("removeAttrs", 2, remove_attrs),
    ("hasAttr", 2, has_attr),
    ("getAttr", 2, get_attr),
    ("intersectAttrs", 2, intersect_attrs),
    ("catAttrs", 2, cat_attrs),
    ("zipAttrsWith", 2, zip_attrs_with),
];

fn attr_names(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let map = want!(attrs(ev, &args[0], span));
    let names = map
        .iter()
        .map(|(k, b)| ready(V::Str(k.clone()), b.key_span))
        .collect();
    list_val(names, span)
}

fn attr_values(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let map = want!(attrs(ev, &args[0], span));
    list_val(map.values().map(|b| b.thunk.clone()).collect(), span)
}

fn map_attrs(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let map = want!(attrs(ev, &args[1], span));
    let out = map
        .iter()
        .map(|(k, b)| {
            let name = ready(V::Str(k.clone()), b.key_span);
            let value = lazy_apply(&args[0], vec![name, b.thunk.clone()], span);
            (k.clone(), binding(value, b.key_span))
        })
        .collect();
    attrs_val(out, span)
}

fn list_to_attrs(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let items = want!(list(ev, &args[0], span));
    let mut out = AttrMap::new();
    for item in items.iter() {
        let entry = want!(attrs(ev, item, span));
        let Some(name) = entry.get("name") else {
            return Err(eval_error(
                span,
                "an element of `listToAttrs` has no `name`",
            ));
        };
        let name_span = ev.force(&name.thunk)?.span;
        let key = want!(string(ev, &name.thunk, span));
        let Some(value) = entry.get("value") else {
            return Err(eval_error(
                span,
                "an element of `listToAttrs` has no `value`",
            ));
        };
        out.entry(key)
            .or_insert_with(|| binding(value.thunk.clone(), name_span));
    }
    attrs_val(out, span)
}

fn remove_attrs(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let map = want!(attrs(ev, &args[0], span));
    let names = want!(list(ev, &args[1], span));
    let mut out = (*map).clone();
    for n in names.iter() {
        let name = want!(string(ev, n, span));
        out.remove(&name);
    }
    attrs_val(out, span)
}

fn has_attr(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let name = want!(string(ev, &args[0], span));
    let map = want!(attrs(ev, &args[1], span));
    val(V::Bool(map.contains_key(&name)), span)
}

fn get_attr(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let name = want!(string(ev, &args[0], span));
    let map = want!(attrs(ev, &args[1], span));
    match map.get(&name) {
        Some(b) => ev.force(&b.thunk.clone()),
        None => Err(eval_error(span, format!("attribute `{name}` is missing"))),
    }
}

fn intersect_attrs(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let left = want!(attrs(ev, &args[0], span));
    let right = want!(attrs(ev, &args[1], span));
    let out = right
        .iter()
        .filter(|(k, _)| left.contains_key(*k))
        .map(|(k, b)| (k.clone(), b.clone()))
        .collect();
    attrs_val(out, span)
}

fn cat_attrs(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let name = want!(string(ev, &args[0], span));
    let items = want!(list(ev, &args[1], span));
    let mut out = Vec::new();
    for item in items.iter() {
        let map = want!(attrs(ev, item, span));
        if let Some(b) = map.get(&name) {
            out.push(b.thunk.clone());
        }
    }
    list_val(out, span)
}

fn zip_attrs_with(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let f = function(ev, &args[0])?;
    let items = want!(list(ev, &args[1], span));
    let mut values: std::collections::BTreeMap<Rc<str>, (Span, Vec<Thunk>)> = Default::default();
    for item in items.iter() {
        let map = want!(attrs(ev, item, span));
        for (k, b) in map.iter() {
            values
                .entry(k.clone())
                .or_insert_with(|| (b.key_span, Vec::new()))
                .1
                .push(b.thunk.clone());
        }
    }
    let out = values
        .into_iter()
        .map(|(k, (key_span, vs))| {
            let name = ready(V::Str(k.clone()), key_span);
            let list = ready(V::List(vs.into()), span);
            (k, binding(lazy_call(&f, vec![name, list], span), key_span))
        })
        .collect();
    attrs_val(out, span)
}
