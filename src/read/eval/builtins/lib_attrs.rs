//! nixpkgs' `lib.attrsets` functions (also at the top level of `lib`): paths into attribute
//! sets, filtering, mapping, generating and merging them, each with the laziness of nixpkgs'
//! definition (`recursiveUpdate` forces an attribute only when both sides have it, `genAttrs`
//! forces the names but not the values, `filterAttrs` keeps the values unforced).

use super::super::Evaluator;
use super::super::errors::{err, type_error};
use super::super::value::*;
use super::lib::*;
use crate::diagnostics::{Diagnostic, Kind, Span};
use std::collections::BTreeMap;
use std::rc::Rc;

pub(super) static ATTRS: [LibDef; 25] = [
    lib_def(TOP | ATTRSETS, "attrByPath", 3, attr_by_path),
    lib_def(TOP | ATTRSETS, "hasAttrByPath", 2, has_attr_by_path),
    lib_def(TOP | ATTRSETS, "setAttrByPath", 2, set_attr_by_path),
    lib_def(TOP | ATTRSETS, "getAttrFromPath", 2, get_attr_from_path),
    lib_def(TOP | ATTRSETS, "attrVals", 2, attr_vals),
    lib_def(TOP | ATTRSETS, "getAttrs", 2, get_attrs),
    lib_def(TOP | ATTRSETS, "filterAttrs", 2, filter_attrs),
    lib_def(
        TOP | ATTRSETS,
        "filterAttrsRecursive",
        2,
        filter_attrs_recursive,
    ),
    lib_def(TOP | ATTRSETS, "foldlAttrs", 3, foldl_attrs),
    lib_def(TOP | ATTRSETS, "collect", 2, collect),
    lib_def(TOP | ATTRSETS, "nameValuePair", 2, name_value_pair),
    lib_def(TOP | ATTRSETS, "mapAttrs'", 2, map_attrs_prime),
    lib_def(TOP | ATTRSETS, "mapAttrsToList", 2, map_attrs_to_list),
    lib_def(TOP | ATTRSETS, "attrsToList", 1, attrs_to_list),
    lib_def(TOP | ATTRSETS, "mapAttrsRecursive", 2, map_attrs_recursive),
    lib_def(
        TOP | ATTRSETS,
        "mapAttrsRecursiveCond",
        3,
        map_attrs_recursive_cond,
    ),
    lib_def(TOP | ATTRSETS, "genAttrs", 2, gen_attrs),
    lib_def(TOP | ATTRSETS, "genAttrs'", 2, gen_attrs_prime),
    lib_def(TOP | ATTRSETS, "optionalAttrs", 2, optional_attrs),
    lib_def(TOP | ATTRSETS, "zipAttrsWithNames", 3, zip_attrs_with_names),
    lib_def(TOP | ATTRSETS, "zipAttrs", 1, zip_attrs),
    lib_def(
        TOP | ATTRSETS,
        "recursiveUpdateUntil",
        3,
        recursive_update_until,
    ),
    lib_def(TOP | ATTRSETS, "recursiveUpdate", 2, recursive_update),
    lib_def(TOP | ATTRSETS, "concatMapAttrs", 2, concat_map_attrs),
    lib_def(TOP | ATTRSETS, "mergeAttrsList", 1, merge_attrs_list),
];

fn name_thunk(name: &Rc<str>, span: Span) -> Thunk {
    ready(V::Str(name.clone()), span)
}

/// Walks `path` from `set` as `s ? ${attr}` does at each step: the value at the end, or
/// `None` where an attribute is missing (or a step is not a set).
fn walk(ev: &mut Evaluator, path: &Thunk, set: &Thunk, span: Span) -> Got<Option<Thunk>> {
    let path = match list(ev, path, span)? {
        Ok(p) => p,
        Err(unknown) => return Ok(Err(unknown)),
    };
    let mut s = set.clone();
    for attr in path.iter() {
        let v = ev.force(&s)?;
        let name = match string(ev, attr, span)? {
            Ok(n) => n,
            Err(unknown) => return Ok(Err(unknown)),
        };
        match as_attrs(&v) {
            Some(map) => match map.get(&name) {
                Some(b) => s = b.thunk.clone(),
                None => return Ok(Ok(None)),
            },
            None if matches!(v.v, V::Opaque(_)) => return Ok(Err(ev.opaque_at(&v, span))),
            None => return Ok(Ok(None)),
        }
    }
    Ok(Ok(Some(s)))
}

fn attr_by_path(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    match known!(walk(ev, &a[0], &a[2], span)) {
        Some(t) => ev.force(&t),
        None => ev.force(&a[1]),
    }
}

fn has_attr_by_path(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let found = known!(walk(ev, &a[0], &a[1], span)).is_some();
    val(V::Bool(found), span)
}

fn set_attr_by_path(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let path = known!(list(ev, &a[0], span));
    set_at(ev, path, 0, a[1].clone(), span)
}

/// `atDepth n`: the value at the end of the path, or `{ ${path[n]} = atDepth (n + 1); }`.
fn set_at(ev: &mut Evaluator, path: Rc<[Thunk]>, n: usize, value: Thunk, span: Span) -> R {
    if n == path.len() {
        return ev.force(&value);
    }
    let key = ev.force(&path[n])?;
    let name = match &key.v {
        V::Str(s) => s.clone(),
        // `{ ${null} = …; }` is an empty set.
        V::Null => return Ok(attrset([], span)),
        V::Opaque(_) => return Ok(ev.opaque_at(&key, span)),
        _ => return Err(type_error(key.span, "a string", &key)),
    };
    let inner = lazy(span, move |ev| set_at(ev, path, n + 1, value, span));
    Ok(attrset([(name, inner)], span))
}

fn get_attr_from_path(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    match known!(walk(ev, &a[0], &a[1], span)) {
        Some(t) => ev.force(&t),
        None => {
            let path = known!(list(ev, &a[0], span));
            let mut names = Vec::new();
            for p in path.iter() {
                names.push(known!(string(ev, p, span)).to_string());
            }
            Err(err(
                Kind::EvalError,
                span,
                format!("cannot find attribute '{}'", names.join(".")),
            ))
        }
    }
}

/// The lazy `set.${name}`.
fn select(set: Thunk, name: Thunk, span: Span) -> Thunk {
    lazy(span, move |ev| {
        let map = known!(attrs(ev, &set, span));
        let name = known!(string(ev, &name, span));
        match map.get(&name) {
            Some(b) => ev.force(&b.thunk.clone()),
            None => Err(err(
                Kind::EvalError,
                span,
                format!("attribute `{name}` is missing"),
            )),
        }
    })
}

fn attr_vals(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let names = known!(list(ev, &a[0], span));
    let items = names
        .iter()
        .map(|n| select(a[1].clone(), n.clone(), span))
        .collect();
    list_val(items, span)
}

fn get_attrs(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let names = known!(list(ev, &a[0], span));
    let mut entries = Vec::new();
    for n in names.iter() {
        let name = known!(string(ev, n, span));
        entries.push((name, select(a[1].clone(), n.clone(), span)));
    }
    Ok(attrset(entries, span))
}

/// Calls a predicate and reads its boolean.
fn test(ev: &mut Evaluator, pred: &Thunk, args: &[Thunk], span: Span) -> Got<bool> {
    let r = call(ev, pred, args, span)?;
    boolean_val(ev, &r, span)
}

fn filter_attrs(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let set = known!(attrs(ev, &a[1], span));
    let mut kept = AttrMap::new();
    for (name, b) in set.iter() {
        if known!(test(
            ev,
            &a[0],
            &[name_thunk(name, span), b.thunk.clone()],
            span
        )) {
            kept.insert(name.clone(), b.clone());
        }
    }
    val(V::Attrs(Rc::new(kept)), span)
}

fn filter_attrs_recursive(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    filter_recursive(ev, a[0].clone(), &a[1], span)
}

fn filter_recursive(ev: &mut Evaluator, pred: Thunk, set: &Thunk, span: Span) -> R {
    let set = known!(attrs(ev, set, span));
    let mut entries = Vec::new();
    for (name, b) in set.iter() {
        let v = b.thunk.clone();
        if known!(test(ev, &pred, &[name_thunk(name, span), v.clone()], span)) {
            let pred = pred.clone();
            let value = lazy(span, move |ev| {
                let forced = ev.force(&v)?;
                if as_attrs(&forced).is_some() {
                    filter_recursive(ev, pred, &v, span)
                } else {
                    Ok(forced)
                }
            });
            entries.push((name.clone(), value));
        }
    }
    Ok(attrset(entries, span))
}

fn foldl_attrs(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let set = known!(attrs(ev, &a[2], span));
    if set.is_empty() {
        return ev.force(&a[1]);
    }
    let mut acc = a[1].clone();
    let mut last = None;
    for (name, b) in set.iter() {
        let v = call(
            ev,
            &a[0],
            &[acc, name_thunk(name, span), b.thunk.clone()],
            span,
        )?;
        acc = Thunk::ready(v.clone());
        last = Some(v);
    }
    Ok(last.expect("the set is not empty"))
}

fn collect(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let mut out = Vec::new();
    known!(collect_into(ev, &a[0], a[1].clone(), &mut out, span));
    list_val(out, span)
}

fn collect_into(
    ev: &mut Evaluator,
    pred: &Thunk,
    t: Thunk,
    out: &mut Vec<Thunk>,
    span: Span,
) -> Got<()> {
    match test(ev, pred, std::slice::from_ref(&t), span)? {
        Ok(true) => {
            out.push(t);
            return Ok(Ok(()));
        }
        Ok(false) => {}
        Err(unknown) => return Ok(Err(unknown)),
    }
    let v = ev.force(&t)?;
    match as_attrs(&v) {
        Some(map) => {
            for b in map.values() {
                let r = deeper(ev, span, |ev| {
                    collect_into(ev, pred, b.thunk.clone(), out, span)
                })?;
                if let Err(unknown) = r {
                    return Ok(Err(unknown));
                }
            }
            Ok(Ok(()))
        }
        None if matches!(v.v, V::Opaque(_)) => Ok(Err(ev.opaque_at(&v, span))),
        None => Ok(Ok(())),
    }
}

fn pair(name: Thunk, value: Thunk, span: Span) -> Val {
    attrset([("name".into(), name), ("value".into(), value)], span)
}

fn name_value_pair(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    Ok(pair(a[0].clone(), a[1].clone(), span))
}

/// `listToAttrs` over elements computed one by one: each must be a set with a string `name`;
/// the first of a name wins, and only its `value` must exist.
pub(super) fn pairs_to_attrs(
    ev: &mut Evaluator,
    elements: impl IntoIterator<Item = Thunk>,
    span: Span,
) -> R {
    let mut map = AttrMap::new();
    for e in elements {
        let element = known!(attrs(ev, &e, span));
        let Some(name) = element.get("name") else {
            return Err(missing_in_list_to_attrs("name", span));
        };
        let name = known!(string(ev, &name.thunk.clone(), span));
        if map.contains_key(&name) {
            continue;
        }
        let Some(value) = element.get("value") else {
            return Err(missing_in_list_to_attrs("value", span));
        };
        map.insert(
            name,
            Binding {
                thunk: value.thunk.clone(),
                key_span: span,
            },
        );
    }
    val(V::Attrs(Rc::new(map)), span)
}

fn missing_in_list_to_attrs(what: &str, span: Span) -> Diagnostic {
    err(
        Kind::EvalError,
        span,
        format!("an element has no `{what}` attribute"),
    )
    .with_hint("each element must be `{ name = …; value = …; }` (see `lib.nameValuePair`)")
}

fn map_attrs_prime(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let set = known!(attrs(ev, &a[1], span));
    let elements: Vec<Thunk> = set
        .iter()
        .map(|(name, b)| {
            lazy_call(
                span,
                a[0].clone(),
                vec![name_thunk(name, span), b.thunk.clone()],
            )
        })
        .collect();
    pairs_to_attrs(ev, elements, span)
}

fn map_attrs_to_list(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let set = known!(attrs(ev, &a[1], span));
    let items = set
        .iter()
        .map(|(name, b)| {
            lazy_call(
                span,
                a[0].clone(),
                vec![name_thunk(name, span), b.thunk.clone()],
            )
        })
        .collect();
    list_val(items, span)
}

fn attrs_to_list(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let set = known!(attrs(ev, &a[0], span));
    let items = set
        .iter()
        .map(|(name, b)| Thunk::ready(pair(name_thunk(name, span), b.thunk.clone(), span)))
        .collect();
    list_val(items, span)
}

fn map_attrs_recursive(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    map_recursive(ev, None, a[0].clone(), Vec::new(), &a[1], span)
}

fn map_attrs_recursive_cond(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    map_recursive(
        ev,
        Some(a[0].clone()),
        a[1].clone(),
        Vec::new(),
        &a[2],
        span,
    )
}

/// `recurse path set`: `mapAttrs` whose values recurse into sets (where `cond` allows) and
/// apply `f path value` elsewhere.
fn map_recursive(
    ev: &mut Evaluator,
    cond: Option<Thunk>,
    f: Thunk,
    path: Vec<Thunk>,
    set: &Thunk,
    span: Span,
) -> R {
    let map = known!(attrs(ev, set, span));
    let mut out = AttrMap::new();
    for (name, b) in map.iter() {
        let (cond, f, v) = (cond.clone(), f.clone(), b.thunk.clone());
        let mut here = path.clone();
        here.push(name_thunk(name, span));
        let value = lazy(span, move |ev| {
            let forced = ev.force(&v)?;
            let recurse = as_attrs(&forced).is_some()
                && match &cond {
                    None => true,
                    Some(c) => known!(test(ev, c, std::slice::from_ref(&v), span)),
                };
            if recurse {
                map_recursive(ev, cond, f, here, &v, span)
            } else {
                let p = ready(V::List(here.into()), span);
                call(ev, &f, &[p, v], span)
            }
        });
        out.insert(
            name.clone(),
            Binding {
                thunk: value,
                key_span: b.key_span,
            },
        );
    }
    val(V::Attrs(Rc::new(out)), span)
}

fn gen_attrs(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let names = known!(list(ev, &a[0], span));
    let mut entries = Vec::new();
    for n in names.iter() {
        let name = known!(string(ev, n, span));
        entries.push((name, lazy_call(span, a[1].clone(), vec![n.clone()])));
    }
    Ok(attrset(entries, span))
}

fn gen_attrs_prime(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let xs = known!(list(ev, &a[0], span));
    let elements: Vec<Thunk> = xs
        .iter()
        .map(|x| lazy_call(span, a[1].clone(), vec![x.clone()]))
        .collect();
    pairs_to_attrs(ev, elements, span)
}

fn optional_attrs(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    if known!(boolean(ev, &a[0], span)) {
        ev.force(&a[1])
    } else {
        Ok(attrset([], span))
    }
}

/// `catAttrs name sets`, lazily: the values of `name` in those of `sets` that have it.
fn cat_attrs(name: Rc<str>, sets: Thunk, span: Span) -> Thunk {
    lazy(span, move |ev| {
        let sets = known!(list(ev, &sets, span));
        let mut out = Vec::new();
        for s in sets.iter() {
            let map = known!(attrs(ev, s, span));
            if let Some(b) = map.get(&name) {
                out.push(b.thunk.clone());
            }
        }
        list_val(out, span)
    })
}

fn zip_attrs_with_names(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let names = known!(list(ev, &a[0], span));
    let mut entries = Vec::new();
    for n in names.iter() {
        let name = known!(string(ev, n, span));
        let values = cat_attrs(name.clone(), a[2].clone(), span);
        entries.push((name, lazy_call(span, a[1].clone(), vec![n.clone(), values])));
    }
    Ok(attrset(entries, span))
}

/// What `builtins.zipAttrsWith` collects: for each name of any of `sets` (all forced, in
/// order), its values in the order of the sets.
fn zip(ev: &mut Evaluator, sets: &[Thunk], span: Span) -> Got<BTreeMap<Rc<str>, Vec<Thunk>>> {
    let mut out: BTreeMap<Rc<str>, Vec<Thunk>> = BTreeMap::new();
    for s in sets {
        let map = match attrs(ev, s, span)? {
            Ok(m) => m,
            Err(unknown) => return Ok(Err(unknown)),
        };
        for (k, b) in map.iter() {
            out.entry(k.clone()).or_default().push(b.thunk.clone());
        }
    }
    Ok(Ok(out))
}

fn zip_attrs(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let sets = known!(list(ev, &a[0], span));
    let zipped = known!(zip(ev, &sets, span));
    let entries = zipped
        .into_iter()
        .map(|(k, values)| (k, ready(V::List(values.into()), span)));
    Ok(attrset(entries, span))
}

fn recursive_update_until(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    update_until(
        ev,
        Some(a[0].clone()),
        Vec::new(),
        a[2].clone(),
        a[1].clone(),
        span,
    )
}

fn recursive_update(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    update_until(ev, None, Vec::new(), a[1].clone(), a[0].clone(), span)
}

/// `f path [ rhs lhs ]` of nixpkgs' `recursiveUpdateUntil`: an attribute on one side only is
/// taken as it is; one on both sides is the right one where `pred path lhs rhs` holds (for
/// `recursiveUpdate`: unless both are sets), and their recursive update otherwise.
fn update_until(
    ev: &mut Evaluator,
    pred: Option<Thunk>,
    path: Vec<Thunk>,
    rhs: Thunk,
    lhs: Thunk,
    span: Span,
) -> R {
    // `zipAttrsWith` forces the sets in the order of its list: `[ rhs lhs ]`.
    let right = known!(attrs(ev, &rhs, span));
    let left = known!(attrs(ev, &lhs, span));
    // Both maps are sorted: one merge over them, keeping the bindings (and the spans of their
    // names) of attributes on one side only.
    let mut entries: Vec<(Rc<str>, Binding)> = Vec::with_capacity(left.len().max(right.len()));
    let (mut ls, mut rs) = (left.iter().peekable(), right.iter().peekable());
    loop {
        let order = match (ls.peek(), rs.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((lk, _)), Some((rk, _))) => lk.cmp(rk),
        };
        match order {
            std::cmp::Ordering::Less => {
                let (k, b) = ls.next().expect("peeked");
                entries.push((k.clone(), b.clone()));
            }
            std::cmp::Ordering::Greater => {
                let (k, b) = rs.next().expect("peeked");
                entries.push((k.clone(), b.clone()));
            }
            std::cmp::Ordering::Equal => {
                let (name, lb) = ls.next().expect("peeked");
                let (_, rb) = rs.next().expect("peeked");
                let (r, l) = (rb.thunk.clone(), lb.thunk.clone());
                let pred = pred.clone();
                let here = match pred {
                    Some(_) => {
                        let mut here = path.clone();
                        here.push(name_thunk(name, span));
                        here
                    }
                    None => Vec::new(),
                };
                let value = lazy(span, move |ev| {
                    let stop = match &pred {
                        None => {
                            let lv = ev.force(&l)?;
                            if let V::Opaque(_) = lv.v {
                                return Ok(ev.opaque_at(&lv, span));
                            }
                            as_attrs(&lv).is_none() || {
                                let rv = ev.force(&r)?;
                                if let V::Opaque(_) = rv.v {
                                    return Ok(ev.opaque_at(&rv, span));
                                }
                                as_attrs(&rv).is_none()
                            }
                        }
                        Some(p) => {
                            let here = ready(V::List(here.clone().into()), span);
                            known!(test(ev, p, &[here, l.clone(), r.clone()], span))
                        }
                    };
                    if stop {
                        ev.force(&r)
                    } else {
                        update_until(ev, pred, here, r, l, span)
                    }
                });
                entries.push((
                    name.clone(),
                    Binding {
                        thunk: value,
                        key_span: rb.key_span,
                    },
                ));
            }
        }
    }
    val(V::Attrs(Rc::new(entries.into_iter().collect())), span)
}

fn concat_map_attrs(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let set = known!(attrs(ev, &a[1], span));
    let mut merged = AttrMap::new();
    for (name, b) in set.iter() {
        let part = call(ev, &a[0], &[name_thunk(name, span), b.thunk.clone()], span)?;
        let part = match as_attrs(&part) {
            Some(m) => m,
            None if matches!(part.v, V::Opaque(_)) => return Ok(ev.opaque_at(&part, span)),
            None => return Err(type_error(part.span, "an attribute set", &part)),
        };
        for (k, b) in part.iter() {
            merged.insert(k.clone(), b.clone());
        }
    }
    val(V::Attrs(Rc::new(merged)), span)
}

fn merge_attrs_list(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(list(ev, &a[0], span));
    if items.len() == 1 {
        return ev.force(&items[0]);
    }
    let mut merged = AttrMap::new();
    for item in items.iter() {
        let part = known!(attrs(ev, item, span));
        for (k, b) in part.iter() {
            merged.insert(k.clone(), b.clone());
        }
    }
    val(V::Attrs(Rc::new(merged)), span)
}
