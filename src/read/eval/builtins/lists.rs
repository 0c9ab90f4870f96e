//! List builtins: `map`, `filter`, `foldl'`, `length`, `elem`, `elemAt`, `head`, `tail`,
//! `concatLists`, `concatMap`, `genList`, `all`, `any`, `sort`, `partition` and `groupBy`.
//!
//! Laziness is Nix 2.8's: `map` and `genList` make elements that are computed when forced,
//! `filter`/`all`/`any`/`partition` force the predicate's answers (and `all`/`any` stop at the
//! first decisive one), `foldl'` forces each intermediate result but not the initial value of
//! a non-empty list, `sort` forces every element. `sort` is libstdc++'s `std::stable_sort`, as
//! in Nix (see `sort.rs`), so any comparator ends, with Nix's permutation. `genList` refuses more than [`MAX_LIST`] elements instead of exhausting
//! memory.

use super::super::Evaluator;
use super::super::errors::type_error;
use super::super::value::*;
use super::BuiltinDef;
use super::sort::{Stop, stable_sort};
use super::support::*;
use crate::diagnostics::{Diagnostic, Span};
use std::rc::Rc;

pub static LISTS: &[BuiltinDef] = defs![
    ("map", 2, map),
    ("filter", 2, filter),
    ("foldl'", 3, foldl),
    ("length", 1, length),
    ("elem", 2, elem),
    ("elemAt", 2, elem_at),
    ("head", 1, head),
    ("tail", 1, tail),
    ("concatLists", 1, concat_lists),
    ("concatMap", 2, concat_map),
    ("genList", 2, gen_list),
    ("all", 2, all),
    ("any", 2, any),
    ("sort", 2, sort),
    ("partition", 2, partition),
    ("groupBy", 2, group_by),
];

/// The longest list `genList` makes: a larger one would only exhaust memory.
pub const MAX_LIST: i64 = 1 << 18;

fn map(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let items = want!(list(ev, &args[1], span));
    let out = items
        .iter()
        .map(|x| lazy_apply(&args[0], vec![x.clone()], span))
        .collect();
    list_val(out, span)
}

/// The predicate's answer for `x`; `Err(opaque)` when the predicate's answer is not known.
fn test(ev: &mut Evaluator, pred: &Val, x: &Thunk, span: Span) -> Got<bool> {
    let r = call(ev, pred, std::slice::from_ref(x), span)?;
    match r.v {
        V::Bool(b) => Ok(Ok(b)),
        V::Opaque(_) => Ok(Err(ev.opaque_at(&r, span))),
        _ => Err(type_error(r.span, "a boolean", &r)),
    }
}

fn filter(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let pred = function(ev, &args[0])?;
    let items = want!(list(ev, &args[1], span));
    let mut out = Vec::new();
    for x in items.iter() {
        if want!(test(ev, &pred, x, span)) {
            out.push(x.clone());
        }
    }
    list_val(out, span)
}

fn foldl(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let op = function(ev, &args[0])?;
    let items = want!(list(ev, &args[2], span));
    let mut acc = args[1].clone();
    let mut last = None;
    for x in items.iter() {
        let v = call(ev, &op, &[acc, x.clone()], span)?;
        acc = Thunk::ready(v.clone());
        last = Some(v);
    }
    match last {
        Some(v) => Ok(v),
        None => ev.force(&args[1]),
    }
}

fn length(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let items = want!(list(ev, &args[0], span));
    val(V::Int(items.len() as i64), span)
}

fn elem(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let items = want!(list(ev, &args[1], span));
    let x = ev.force(&args[0])?;
    for item in items.iter() {
        let y = ev.force(item)?;
        if want!(equal(ev, &x, &y, span)) {
            return val(V::Bool(true), span);
        }
    }
    val(V::Bool(false), span)
}

fn index(ev: &mut Evaluator, items: &[Thunk], n: i64, span: Span) -> Result<Val, Diagnostic> {
    match usize::try_from(n).ok().and_then(|i| items.get(i)) {
        Some(t) => ev.force(t),
        None => Err(eval_error(span, format!("list index {n} is out of bounds"))),
    }
}

fn elem_at(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let items = want!(list(ev, &args[0], span));
    let n = want!(int(ev, &args[1], span));
    index(ev, &items, n, span)
}

fn head(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let items = want!(list(ev, &args[0], span));
    index(ev, &items, 0, span)
}

fn tail(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let items = want!(list(ev, &args[0], span));
    if items.is_empty() {
        return Err(eval_error(span, "`tail` of an empty list"));
    }
    list_val(items[1..].to_vec(), span)
}

fn concat_lists(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let lists = want!(list(ev, &args[0], span));
    let mut out = Vec::new();
    for l in lists.iter() {
        out.extend(want!(list(ev, l, span)).iter().cloned());
    }
    list_val(out, span)
}

fn concat_map(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let f = function(ev, &args[0])?;
    let items = want!(list(ev, &args[1], span));
    let mut out = Vec::new();
    for x in items.iter() {
        let r = Thunk::ready(call(ev, &f, std::slice::from_ref(x), span)?);
        out.extend(want!(list(ev, &r, span)).iter().cloned());
    }
    list_val(out, span)
}

fn gen_list(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let n = want!(int(ev, &args[1], span));
    if n < 0 {
        return Err(eval_error(
            span,
            format!("cannot create a list of size {n}"),
        ));
    }
    if n > MAX_LIST {
        return Err(eval_error(
            span,
            format!("`genList` of {n} elements: the reader makes lists of at most {MAX_LIST}"),
        ));
    }
    let out = (0..n)
        .map(|i| lazy_apply(&args[0], vec![ready(V::Int(i), span)], span))
        .collect();
    list_val(out, span)
}

fn all_any(ev: &mut Evaluator, args: &[Thunk], span: Span, any: bool) -> Result<Val, Diagnostic> {
    let pred = function(ev, &args[0])?;
    let items = want!(list(ev, &args[1], span));
    for x in items.iter() {
        if want!(test(ev, &pred, x, span)) == any {
            return val(V::Bool(any), span);
        }
    }
    val(V::Bool(!any), span)
}

fn all(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    all_any(ev, args, span, false)
}

fn any(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    all_any(ev, args, span, true)
}

fn sort(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let cmp = function(ev, &args[0])?;
    let items = want!(list(ev, &args[1], span));
    let mut vals = Vec::with_capacity(items.len());
    for t in items.iter() {
        vals.push((ev.force(t)?, t.clone()));
    }
    let mut order: Vec<usize> = (0..vals.len()).collect();
    let result = stable_sort(
        &mut order,
        &mut |a, b| match less(ev, &cmp, &vals[a], &vals[b], span) {
            Ok(Ok(x)) => Ok(x),
            Ok(Err(opaque)) => Err(Stop::Unknown(opaque)),
            Err(d) => Err(Stop::Error(d)),
        },
    );
    match result {
        Ok(()) => list_val(order.into_iter().map(|i| vals[i].1.clone()).collect(), span),
        Err(Stop::Unknown(opaque)) => Ok(opaque),
        Err(Stop::Error(d)) => Err(d),
    }
}

type Item = (Val, Thunk);

fn less(ev: &mut Evaluator, cmp: &Val, a: &Item, b: &Item, span: Span) -> Got<bool> {
    // As Nix, `sort lessThan` compares directly.
    if let V::Builtin(def, partial) = &cmp.v
        && def.name == "lessThan"
        && partial.is_empty()
    {
        return Ok(compare(ev, &a.0, &b.0, span)?.map(|o| o.is_lt()));
    }
    let r = call(ev, cmp, &[a.1.clone(), b.1.clone()], span)?;
    match r.v {
        V::Bool(x) => Ok(Ok(x)),
        V::Opaque(_) => Ok(Err(ev.opaque_at(&r, span))),
        _ => Err(type_error(r.span, "a boolean", &r)),
    }
}

fn partition(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let pred = function(ev, &args[0])?;
    let items = want!(list(ev, &args[1], span));
    let (mut right, mut wrong) = (Vec::new(), Vec::new());
    for x in items.iter() {
        // Nix 2.8 forces each element before asking the predicate.
        ev.force(x)?;
        if want!(test(ev, &pred, x, span)) {
            right.push(x.clone());
        } else {
            wrong.push(x.clone());
        }
    }
    let mut map = AttrMap::new();
    map.insert(
        "right".into(),
        binding(ready(V::List(right.into()), span), span),
    );
    map.insert(
        "wrong".into(),
        binding(ready(V::List(wrong.into()), span), span),
    );
    attrs_val(map, span)
}

fn group_by(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let f = function(ev, &args[0])?;
    let items = want!(list(ev, &args[1], span));
    let mut groups: std::collections::BTreeMap<Rc<str>, Vec<Thunk>> = Default::default();
    for x in items.iter() {
        let key = Thunk::ready(call(ev, &f, std::slice::from_ref(x), span)?);
        let key = want!(string(ev, &key, span));
        groups.entry(key).or_default().push(x.clone());
    }
    let map = groups
        .into_iter()
        .map(|(k, v)| (k, binding(ready(V::List(v.into()), span), span)))
        .collect();
    attrs_val(map, span)
}
