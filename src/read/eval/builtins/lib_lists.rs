//! nixpkgs' `lib.lists` functions (also at the top level of `lib`): folds, `flatten`,
//! `unique`, `optional(s)`, slicing and searching, each with the laziness of nixpkgs'
//! definition (`foldr` passes its accumulator unevaluated, `lib.foldl'` forces its initial
//! value, `sublist` yields elements that fail only when they are used).

use super::super::Evaluator;
use super::super::errors::{err, type_error};
use super::super::value::*;
use super::BuiltinDef;
use super::lib::*;
use crate::diagnostics::{Kind, Span};
use std::rc::Rc;

/// Longer lists than this are refused rather than allocated (`replicate`, `range`), as
/// `genList` refuses them.
use super::lists::MAX_LIST;

pub(super) static LISTS_FNS: [LibDef; 27] = [
    lib_def(TOP | LISTS, "foldr", 3, foldr),
    lib_def(TOP | LISTS, "fold", 3, foldr),
    lib_def(TOP | LISTS, "foldl", 3, foldl),
    lib_def(TOP | LISTS, "foldl'", 2, foldl_strict),
    lib_def(TOP | LISTS, "imap0", 2, imap0),
    lib_def(TOP | LISTS, "imap1", 2, imap1),
    lib_def(TOP | LISTS, "flatten", 1, flatten),
    lib_def(TOP | LISTS, "unique", 1, unique),
    lib_def(TOP | LISTS, "allUnique", 1, all_unique),
    lib_def(TOP | LISTS, "optional", 2, optional),
    lib_def(TOP | LISTS, "optionals", 2, optionals),
    lib_def(TOP | LISTS, "toList", 1, to_list),
    lib_def(TOP | LISTS, "singleton", 1, singleton),
    lib_def(TOP | LISTS, "forEach", 2, for_each),
    lib_def(TOP | LISTS, "last", 1, last),
    lib_def(TOP | LISTS, "init", 1, init),
    lib_def(TOP | LISTS, "take", 2, take),
    lib_def(TOP | LISTS, "drop", 2, drop),
    lib_def(TOP | LISTS, "sublist", 3, sublist),
    lib_def(TOP | LISTS, "reverseList", 1, reverse_list),
    lib_def(TOP | LISTS, "range", 2, range),
    lib_def(TOP | LISTS, "replicate", 2, replicate),
    lib_def(TOP | LISTS, "remove", 2, remove),
    lib_def(TOP | LISTS, "count", 2, count),
    lib_def(TOP | LISTS, "subtractLists", 2, subtract_lists),
    lib_def(TOP | LISTS, "intersectLists", 2, intersect_lists),
    lib_def(TOP | LISTS, "findFirst", 3, find_first),
];

/// `lib.lists.hasPrefix` and `lib.lists.removePrefix` work on lists; the top-level names are
/// the string functions.
pub(super) static LISTS_ONLY: [LibDef; 2] = [
    lib_def(LISTS, "hasPrefix", 2, has_prefix),
    lib_def(LISTS, "removePrefix", 2, remove_prefix),
];

fn foldr(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(list(ev, &a[2], span));
    if items.is_empty() {
        return ev.force(&a[1]);
    }
    let mut acc = a[1].clone();
    for item in items[1..].iter().rev() {
        acc = lazy_call(span, a[0].clone(), vec![item.clone(), acc]);
    }
    call(ev, &a[0], &[items[0].clone(), acc], span)
}

fn foldl(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(list(ev, &a[2], span));
    let Some((last, rest)) = items.split_last() else {
        return ev.force(&a[1]);
    };
    let mut acc = a[1].clone();
    for item in rest {
        acc = lazy_call(span, a[0].clone(), vec![acc, item.clone()]);
    }
    call(ev, &a[0], &[acc, last.clone()], span)
}

/// `lib.foldl' op acc` forces `acc` before it is given a list, then is `builtins.foldl'`.
fn foldl_strict(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    ev.force(&a[1])?;
    val(V::Builtin(&FOLDL_REST, Rc::from(a.to_vec())), span)
}

static FOLDL_REST: BuiltinDef = BuiltinDef {
    name: "foldl'",
    arity: 3,
    run: foldl_steps,
};

/// `builtins.foldl'`: each step is computed as it comes.
fn foldl_steps(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(list(ev, &a[2], span));
    let mut acc = a[1].clone();
    let mut last = None;
    for item in items.iter() {
        let v = call(ev, &a[0], &[acc, item.clone()], span)?;
        acc = Thunk::ready(v.clone());
        last = Some(v);
    }
    match last {
        Some(v) => Ok(v),
        None => ev.force(&a[1]),
    }
}

fn imap(ev: &mut Evaluator, a: &[Thunk], span: Span, base: i64) -> R {
    let items = known!(list(ev, &a[1], span));
    let out = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let index = ready(V::Int(i as i64 + base), span);
            lazy_call(span, a[0].clone(), vec![index, item.clone()])
        })
        .collect();
    list_val(out, span)
}

fn imap0(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    imap(ev, a, span, 0)
}

fn imap1(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    imap(ev, a, span, 1)
}

fn flatten(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let mut out = Vec::new();
    known!(flatten_into(ev, &a[0], &mut out, span));
    list_val(out, span)
}

fn flatten_into(ev: &mut Evaluator, t: &Thunk, out: &mut Vec<Thunk>, span: Span) -> Got<()> {
    let v = ev.force(t)?;
    match &v.v {
        V::List(items) => {
            for item in items.iter() {
                if let Err(unknown) = deeper(ev, span, |ev| flatten_into(ev, item, out, span))? {
                    return Ok(Err(unknown));
                }
            }
        }
        V::Opaque(_) => return Ok(Err(ev.opaque_at(&v, span))),
        _ => out.push(t.clone()),
    }
    Ok(Ok(()))
}

/// `x == y` of two list elements, with Nix's equality (`builtins.elem`'s); unknown when
/// either is.
fn same(ev: &mut Evaluator, x: &Thunk, y: &Thunk, span: Span) -> Got<bool> {
    if Rc::ptr_eq(&x.0, &y.0) {
        return Ok(Ok(true));
    }
    let vx = ev.force(x)?;
    let vy = ev.force(y)?;
    super::support::equal(ev, &vx, &vy, span)
}

/// `elem x list` over known elements.
fn contains(ev: &mut Evaluator, x: &Thunk, items: &[Thunk], span: Span) -> Got<bool> {
    for item in items {
        match same(ev, x, item, span)? {
            Ok(true) => return Ok(Ok(true)),
            Ok(false) => {}
            Err(unknown) => return Ok(Err(unknown)),
        }
    }
    Ok(Ok(false))
}

fn unique_items(ev: &mut Evaluator, t: &Thunk, span: Span) -> Got<Vec<Thunk>> {
    let items = match list(ev, t, span)? {
        Ok(items) => items,
        Err(unknown) => return Ok(Err(unknown)),
    };
    let mut out: Vec<Thunk> = Vec::new();
    for item in items.iter() {
        match contains(ev, item, &out, span)? {
            Ok(true) => {}
            Ok(false) => out.push(item.clone()),
            Err(unknown) => return Ok(Err(unknown)),
        }
    }
    Ok(Ok(out))
}

fn unique(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let out = known!(unique_items(ev, &a[0], span));
    list_val(out, span)
}

fn all_unique(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let out = known!(unique_items(ev, &a[0], span));
    let all = known!(list(ev, &a[0], span));
    val(V::Bool(out.len() == all.len()), span)
}

fn optional(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = if known!(boolean(ev, &a[0], span)) {
        vec![a[1].clone()]
    } else {
        vec![]
    };
    list_val(items, span)
}

fn optionals(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    if known!(boolean(ev, &a[0], span)) {
        ev.force(&a[1])
    } else {
        list_val(vec![], span)
    }
}

fn to_list(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let v = ev.force(&a[0])?;
    match v.v {
        V::List(_) => Ok(v),
        V::Opaque(_) => Ok(ev.opaque_at(&v, span)),
        _ => list_val(vec![a[0].clone()], span),
    }
}

fn singleton(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    list_val(vec![a[0].clone()], span)
}

fn for_each(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(list(ev, &a[0], span));
    let out = items
        .iter()
        .map(|x| lazy_call(span, a[1].clone(), vec![x.clone()]))
        .collect();
    list_val(out, span)
}

/// nixpkgs' `assertMsg (list != [ ])`, a `throw` that `tryEval` catches.
fn empty_list_error(what: &str, span: Span) -> crate::diagnostics::Diagnostic {
    super::control::thrown(span, &format!("lists.{what}: list must not be empty!"))
}

fn last(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(list(ev, &a[0], span));
    match items.last() {
        Some(t) => ev.force(t),
        None => Err(empty_list_error("last", span)),
    }
}

fn init(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(list(ev, &a[0], span));
    if items.is_empty() {
        return Err(empty_list_error("init", span));
    }
    list_val(items[..items.len() - 1].to_vec(), span)
}

/// `sublist start count list` as nixpkgs computes it: the list first, `count` only when
/// `start` is inside it; an index outside the list fails when that element is used.
fn slice(
    ev: &mut Evaluator,
    start: &Thunk,
    count: Option<&Thunk>,
    list_t: &Thunk,
    span: Span,
) -> R {
    let items = known!(list(ev, list_t, span));
    let len = items.len() as i64;
    let start = known!(int(ev, start, span));
    let n = if start >= len {
        0
    } else {
        let count = match count {
            Some(c) => known!(int(ev, c, span)),
            None => len,
        };
        match start.checked_add(count) {
            Some(end) if end > len => len - start,
            Some(_) => count,
            None => return Err(err(Kind::EvalError, span, "integer overflow")),
        }
    };
    if n < 0 {
        return Err(err(
            Kind::EvalError,
            span,
            format!("cannot create a list of size {n}"),
        ));
    }
    let out = (0..n)
        .map(|i| {
            let index = i + start;
            if (0..len).contains(&index) {
                items[index as usize].clone()
            } else {
                failing(span, format!("list index {index} is out of bounds"))
            }
        })
        .collect();
    list_val(out, span)
}

fn take(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let zero = ready(V::Int(0), span);
    slice(ev, &zero, Some(&a[0]), &a[1], span)
}

fn drop(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    slice(ev, &a[0], None, &a[1], span)
}

fn sublist(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    slice(ev, &a[0], Some(&a[1]), &a[2], span)
}

fn reverse_list(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(list(ev, &a[0], span));
    list_val(items.iter().rev().cloned().collect(), span)
}

fn list_size(n: i64, span: Span) -> Result<usize, crate::diagnostics::Diagnostic> {
    if n < 0 {
        return Err(err(
            Kind::EvalError,
            span,
            format!("cannot create a list of size {n}"),
        ));
    }
    if n > MAX_LIST {
        return Err(err(
            Kind::EvalError,
            span,
            format!("a list of {n} elements is too large to build"),
        ));
    }
    Ok(n as usize)
}

fn range(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let first = ev.force(&a[0])?;
    let last = ev.force(&a[1])?;
    for v in [&first, &last] {
        if let V::Opaque(_) = v.v {
            return Ok(ev.opaque_at(v, span));
        }
    }
    let (V::Int(f), V::Int(l)) = (&first.v, &last.v) else {
        let bad = if matches!(first.v, V::Int(_)) {
            &last
        } else {
            &first
        };
        return Err(type_error(bad.span, "an integer", bad));
    };
    if f > l {
        return list_val(vec![], span);
    }
    let n = l
        .checked_sub(*f)
        .and_then(|d| d.checked_add(1))
        .ok_or_else(|| err(Kind::EvalError, span, "integer overflow"))?;
    let n = list_size(n, span)?;
    let out = (0..n as i64).map(|i| ready(V::Int(f + i), span)).collect();
    list_val(out, span)
}

fn replicate(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let n = list_size(known!(int(ev, &a[0], span)), span)?;
    list_val(vec![a[1].clone(); n], span)
}

fn remove(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(list(ev, &a[1], span));
    let mut out = Vec::new();
    for x in items.iter() {
        if !known!(same(ev, x, &a[0], span)) {
            out.push(x.clone());
        }
    }
    list_val(out, span)
}

fn count(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(list(ev, &a[1], span));
    let mut n = 0;
    for x in items.iter() {
        let r = call(ev, &a[0], std::slice::from_ref(x), span)?;
        if known!(boolean_val(ev, &r, span)) {
            n += 1;
        }
    }
    val(V::Int(n), span)
}

fn filter_by_membership(ev: &mut Evaluator, a: &[Thunk], span: Span, keep_members: bool) -> R {
    let items = known!(list(ev, &a[1], span));
    let mut out = Vec::new();
    for x in items.iter() {
        let set = known!(list(ev, &a[0], span));
        if known!(contains(ev, x, &set, span)) == keep_members {
            out.push(x.clone());
        }
    }
    list_val(out, span)
}

fn subtract_lists(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    filter_by_membership(ev, a, span, false)
}

fn intersect_lists(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    filter_by_membership(ev, a, span, true)
}

fn find_first(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(list(ev, &a[2], span));
    for x in items.iter() {
        let r = call(ev, &a[0], std::slice::from_ref(x), span)?;
        if known!(boolean_val(ev, &r, span)) {
            return ev.force(x);
        }
    }
    ev.force(&a[1])
}

/// Whether `list2` starts with the elements of `list1`.
fn starts_with(ev: &mut Evaluator, a: &[Thunk], span: Span) -> Got<bool> {
    let prefix = match list(ev, &a[0], span)? {
        Ok(l) => l,
        Err(unknown) => return Ok(Err(unknown)),
    };
    let whole = match list(ev, &a[1], span)? {
        Ok(l) => l,
        Err(unknown) => return Ok(Err(unknown)),
    };
    if whole.len() < prefix.len() {
        return Ok(Ok(false));
    }
    for (x, y) in whole.iter().zip(prefix.iter()) {
        match same(ev, x, y, span)? {
            Ok(true) => {}
            other => return Ok(other),
        }
    }
    Ok(Ok(true))
}

fn has_prefix(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let b = known!(starts_with(ev, a, span));
    val(V::Bool(b), span)
}

fn remove_prefix(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    if !known!(starts_with(ev, a, span)) {
        return Err(super::control::thrown(
            span,
            "lib.lists.removePrefix: First argument is not a list prefix of the second argument",
        ));
    }
    let prefix = known!(list(ev, &a[0], span));
    let whole = known!(list(ev, &a[1], span));
    list_val(whole[prefix.len()..].to_vec(), span)
}
