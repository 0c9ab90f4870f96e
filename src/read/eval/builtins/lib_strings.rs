//! nixpkgs' `lib.strings` functions (also at the top level of `lib`): joining, prefixes and
//! suffixes, splitting, case and escaping. Strings are compared as bytes, as Nix does; values
//! are coerced to strings where nixpkgs' definition coerces them (`substring`, `toString`,
//! interpolation) and nowhere else.

use super::super::Evaluator;
use super::super::errors::{err, not_static, type_error};
use super::super::value::*;
use super::lib::*;
use crate::diagnostics::{Diagnostic, Kind, Span};
use std::rc::Rc;

/// Longer strings than this are refused rather than built (`strings.replicate`).
const MAX_STRING: usize = 1 << 28;

pub(super) static STRINGS_FNS: [LibDef; 20] = [
    lib_def(TOP | STRINGS, "concatStrings", 1, concat_strings),
    lib_def(TOP | STRINGS, "concatMapStrings", 2, concat_map_strings),
    lib_def(
        TOP | STRINGS,
        "concatMapStringsSep",
        3,
        concat_map_strings_sep,
    ),
    lib_def(TOP | STRINGS, "concatLines", 1, concat_lines),
    lib_def(TOP | STRINGS, "optionalString", 2, optional_string),
    lib_def(TOP | STRINGS, "hasPrefix", 2, has_prefix),
    lib_def(TOP | STRINGS, "hasSuffix", 2, has_suffix),
    lib_def(TOP | STRINGS, "hasInfix", 2, has_infix),
    lib_def(TOP | STRINGS, "removePrefix", 2, remove_prefix),
    lib_def(TOP | STRINGS, "removeSuffix", 2, remove_suffix),
    lib_def(TOP | STRINGS, "splitString", 2, split_string),
    lib_def(TOP | STRINGS, "toLower", 1, to_lower),
    lib_def(TOP | STRINGS, "toUpper", 1, to_upper),
    lib_def(TOP | STRINGS, "stringToCharacters", 1, string_to_characters),
    lib_def(TOP | STRINGS, "escape", 2, escape),
    lib_def(STRINGS, "replicate", 2, replicate),
    lib_def(TOP | STRINGS, "trim", 1, trim),
    lib_def(TOP | STRINGS, "fileContents", 1, file_contents),
    lib_def(TOP | STRINGS, "versionOlder", 2, version_older),
    lib_def(TOP | STRINGS, "versionAtLeast", 2, version_at_least),
];

/// `concatStringsSep sep items`: `sep` must be a string, each item is coerced.
fn join(ev: &mut Evaluator, sep: &Thunk, items: &[Thunk], span: Span) -> Got<String> {
    let sep = match string(ev, sep, span)? {
        Ok(s) => s,
        Err(unknown) => return Ok(Err(unknown)),
    };
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        match coerce(ev, item, span)? {
            Ok(s) => out.push_str(&s),
            Err(unknown) => return Ok(Err(unknown)),
        }
    }
    Ok(Ok(out))
}

fn empty(span: Span) -> Thunk {
    ready(V::Str("".into()), span)
}

fn concat_strings(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(list(ev, &a[0], span));
    let s = known!(join(ev, &empty(span), &items, span));
    str_val(&s, span)
}

/// `map f list`, lazily.
fn mapped(ev: &mut Evaluator, f: &Thunk, l: &Thunk, span: Span) -> Got<Vec<Thunk>> {
    let items = match list(ev, l, span)? {
        Ok(items) => items,
        Err(unknown) => return Ok(Err(unknown)),
    };
    Ok(Ok(items
        .iter()
        .map(|x| lazy_call(span, f.clone(), vec![x.clone()]))
        .collect()))
}

fn concat_map_strings(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(mapped(ev, &a[0], &a[1], span));
    let s = known!(join(ev, &empty(span), &items, span));
    str_val(&s, span)
}

fn concat_map_strings_sep(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(mapped(ev, &a[1], &a[2], span));
    let s = known!(join(ev, &a[0], &items, span));
    str_val(&s, span)
}

fn concat_lines(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let items = known!(list(ev, &a[0], span));
    if items.is_empty() {
        return str_val("", span);
    }
    let newline = ready(V::Str("\n".into()), span);
    let s = known!(join(ev, &newline, &items, span));
    str_val(&format!("{s}\n"), span)
}

fn optional_string(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    if known!(boolean(ev, &a[0], span)) {
        ev.force(&a[1])
    } else {
        str_val("", span)
    }
}

/// The first argument of `hasPrefix` and its kin: forced (nixpkgs checks `isPath` on it), and
/// its text when it is a string. Any other value never equals a string, so those functions
/// then find no match, but nixpkgs still coerces it (a path to a store path, which is fine in
/// Nix and needs no name here).
fn affix(ev: &mut Evaluator, t: &Thunk, span: Span) -> Got<Option<Rc<str>>> {
    let v = ev.force(t)?;
    match &v.v {
        V::Str(s) => Ok(Ok(Some(s.clone()))),
        V::Path(_) => Ok(Ok(None)),
        _ => match coerce_val(ev, &v, span)? {
            Ok(_) => Ok(Ok(None)),
            Err(unknown) => Ok(Err(unknown)),
        },
    }
}

fn has_prefix(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let prefix = known!(affix(ev, &a[0], span));
    let s = known!(coerce(ev, &a[1], span));
    let found = prefix.is_some_and(|p| s.as_bytes().starts_with(p.as_bytes()));
    val(V::Bool(found), span)
}

fn has_suffix(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let suffix = known!(affix(ev, &a[0], span));
    let s = known!(coerce(ev, &a[1], span));
    let found = suffix.is_some_and(|p| s.as_bytes().ends_with(p.as_bytes()));
    val(V::Bool(found), span)
}

fn has_infix(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    // `escapeRegex infix` needs a string; `"${content}"` coerces.
    let v = ev.force(&a[0])?;
    let infix = match &v.v {
        V::Str(s) => s.clone(),
        V::Opaque(_) => return Ok(ev.opaque_at(&v, span)),
        _ => return Err(type_error(v.span, "a string", &v)),
    };
    let s = known!(coerce(ev, &a[1], span));
    let found = s.contains(&*infix);
    val(V::Bool(found), span)
}

fn remove_prefix(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let prefix = known!(affix(ev, &a[0], span));
    let s = known!(coerce(ev, &a[1], span));
    match prefix {
        Some(p) if s.as_bytes().starts_with(p.as_bytes()) => str_val(&s[p.len()..], span),
        _ => ev.force(&a[1]),
    }
}

fn remove_suffix(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let suffix = known!(affix(ev, &a[0], span));
    let s = known!(coerce(ev, &a[1], span));
    match suffix {
        Some(p) if s.as_bytes().ends_with(p.as_bytes()) => str_val(&s[..s.len() - p.len()], span),
        _ => ev.force(&a[1]),
    }
}

fn split_string(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let sep = ev.force(&a[0])?;
    let sep = known!(to_string(ev, &sep, span));
    // Each piece takes the string's context with `substring 0 0 s`, which coerces it.
    let s = known!(coerce(ev, &a[1], span));
    let pieces: Vec<Thunk> = if sep.is_empty() {
        // The empty pattern matches before every character and at the end.
        std::iter::once("")
            .chain(s.char_indices().map(|(i, c)| &s[i..i + c.len_utf8()]))
            .chain(std::iter::once(""))
            .map(|p| ready(V::Str(p.into()), span))
            .collect()
    } else {
        s.split(&*sep)
            .map(|p| ready(V::Str(p.into()), span))
            .collect()
    };
    list_val(pieces, span)
}

fn ascii_case(ev: &mut Evaluator, a: &[Thunk], span: Span, upper: bool) -> R {
    let s = known!(string(ev, &a[0], span));
    let out = if upper {
        s.to_ascii_uppercase()
    } else {
        s.to_ascii_lowercase()
    };
    str_val(&out, span)
}

fn to_lower(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    ascii_case(ev, a, span, false)
}

fn to_upper(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    ascii_case(ev, a, span, true)
}

fn string_to_characters(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let s = known!(coerce(ev, &a[0], span));
    if !s.is_ascii() {
        // Nix splits bytes, which cuts multi-byte characters into invalid strings.
        return Err(not_static(
            span,
            "splitting a non-ASCII string into bytes (`stringToCharacters`)",
        ));
    }
    let chars = (0..s.len())
        .map(|i| ready(V::Str(s[i..i + 1].into()), span))
        .collect();
    list_val(chars, span)
}

/// `builtins.replaceStrings from to s`: at each position the first matching `from` is
/// replaced and skipped; an empty `from` matches before every character and at the end.
pub(super) fn replace_strings(s: &str, from: &[Rc<str>], to: &[Rc<str>]) -> String {
    let mut out = String::new();
    let mut p = 0;
    while p <= s.len() {
        let rest = &s[p..];
        let next_char = rest.chars().next().map_or(1, char::len_utf8);
        match from.iter().position(|f| rest.starts_with(&**f)) {
            Some(i) => {
                out.push_str(&to[i]);
                if from[i].is_empty() {
                    out.push_str(&rest[..next_char.min(rest.len())]);
                    p += next_char;
                } else {
                    p += from[i].len();
                }
            }
            None => {
                out.push_str(&rest[..next_char.min(rest.len())]);
                p += next_char;
            }
        }
    }
    out
}

fn escape(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let chars = known!(list(ev, &a[0], span));
    let mut from = Vec::new();
    for c in chars.iter() {
        from.push(known!(string(ev, c, span)));
    }
    let to: Vec<Rc<str>> = from.iter().map(|c| format!("\\{c}").into()).collect();
    let s = known!(string(ev, &a[1], span));
    str_val(&replace_strings(&s, &from, &to), span)
}

fn replicate(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let n = known!(int(ev, &a[0], span));
    if n < 0 {
        return Err(err(
            Kind::EvalError,
            span,
            format!("cannot create a list of size {n}"),
        ));
    }
    if n == 0 {
        return str_val("", span);
    }
    let s = known!(coerce(ev, &a[1], span));
    if s.len().saturating_mul(n as usize) > MAX_STRING {
        return Err(too_long(span));
    }
    str_val(&s.repeat(n as usize), span)
}

fn too_long(span: Span) -> Diagnostic {
    err(
        Kind::EvalError,
        span,
        "the string would be too long to build",
    )
}

/// `lib.trim s`: `s` without the spaces, tabs and line breaks around it.
fn trim(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let s = known!(string(ev, &a[0], span));
    str_val(s.trim_matches([' ', '\t', '\r', '\n']), span)
}

/// `lib.fileContents file` is `removeSuffix "\n" (builtins.readFile file)`.
fn file_contents(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let text = super::files::read_file(ev, a, span)?;
    let s = known!(coerce_val(ev, &text, span));
    str_val(s.strip_suffix('\n').unwrap_or(&s), span)
}

/// `compareVersions v2 v1 == 1`, with the registry's `builtins.compareVersions`.
fn newer(ev: &mut Evaluator, v1: &Thunk, v2: &Thunk, span: Span) -> Got<bool> {
    let Some(compare) = super::find(super::Namespace::Builtins, "compareVersions") else {
        return Err(not_static(span, "comparing versions"));
    };
    let order = (compare.run)(ev, &[v2.clone(), v1.clone()], span)?;
    match order.v {
        V::Int(i) => Ok(Ok(i == 1)),
        V::Opaque(_) => Ok(Err(ev.opaque_at(&order, span))),
        _ => Err(type_error(order.span, "an integer", &order)),
    }
}

fn version_older(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let b = known!(newer(ev, &a[0], &a[1], span));
    val(V::Bool(b), span)
}

fn version_at_least(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let b = known!(newer(ev, &a[0], &a[1], span));
    val(V::Bool(!b), span)
}
