//! String builtins: `toString`, `stringLength`, `substring`, `concatStringsSep`,
//! `replaceStrings`, `match`, `split`, `baseNameOf`, `dirOf`, `splitVersion`,
//! `compareVersions`, `parseDrvName` and `toPath`.
//!
//! Nix strings are bytes: lengths and positions count bytes, as in Nix. Where a byte position
//! cuts a UTF-8 character (a `substring` inside `é`, an empty `replaceStrings` pattern), the
//! reader's strings, which are UTF-8, get U+FFFD instead of the lone byte. Regular expressions
//! are POSIX extended, as Nix's (see `posix.rs`).

use super::super::Evaluator;
use super::super::value::*;
use super::BuiltinDef;
use super::posix::{Groups, compile};
use super::support::*;
use crate::diagnostics::{Diagnostic, Span};
use std::path::Path;

pub static STRINGS: &[BuiltinDef] = defs![
    ("toString", 1, to_string),
    ("stringLength", 1, string_length),
    ("substring", 3, substring),
    ("concatStringsSep", 2, concat_strings_sep),
    ("replaceStrings", 3, replace_strings),
    ("match", 2, match_),
    ("split", 2, split),
    ("baseNameOf", 1, base_name_of),
    ("dirOf", 1, dir_of),
    ("splitVersion", 1, split_version),
    ("compareVersions", 2, compare_versions),
    ("parseDrvName", 1, parse_drv_name),
    ("toPath", 1, to_path),
];

fn str_val(s: impl Into<std::rc::Rc<str>>, span: Span) -> Result<Val, Diagnostic> {
    val(V::Str(s.into()), span)
}

fn from_bytes(b: &[u8]) -> std::rc::Rc<str> {
    String::from_utf8_lossy(b).into()
}

/// The argument coerced to a string as `how` says.
fn coerced(ev: &mut Evaluator, t: &Thunk, how: Coerce, span: Span) -> Got<String> {
    let v = ev.force(t)?;
    coerce(ev, &v, how, span)
}

fn to_string(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let s = want!(coerced(ev, &args[0], Coerce::ToString, span));
    str_val(s, span)
}

fn string_length(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let s = want!(coerced(ev, &args[0], Coerce::Copy, span));
    val(V::Int(s.len() as i64), span)
}

fn substring(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let start = want!(int(ev, &args[0], span));
    let len = want!(int(ev, &args[1], span));
    let s = want!(coerced(ev, &args[2], Coerce::Copy, span));
    if start < 0 {
        return Err(eval_error(span, "negative start position in `substring`"));
    }
    let bytes = s.as_bytes();
    let from = (start as u64).min(bytes.len() as u64) as usize;
    // A negative length is, as in Nix, "to the end".
    let to = if len < 0 {
        bytes.len()
    } else {
        from.saturating_add(len as usize).min(bytes.len())
    };
    str_val(from_bytes(&bytes[from..to]), span)
}

fn concat_strings_sep(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let sep = want!(string(ev, &args[0], span));
    let items = want!(list(ev, &args[1], span));
    let mut out = String::new();
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push_str(&sep);
        }
        out.push_str(&want!(coerced(ev, item, Coerce::Copy, span)));
    }
    str_val(out, span)
}

fn replace_strings(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let from_list = want!(list(ev, &args[0], span));
    let to_list = want!(list(ev, &args[1], span));
    let s = want!(string(ev, &args[2], span));
    if from_list.len() != to_list.len() {
        return Err(eval_error(
            span,
            "`from` and `to` arguments of `replaceStrings` have different lengths",
        ));
    }
    let mut from = Vec::with_capacity(from_list.len());
    for f in from_list.iter() {
        from.push(want!(string(ev, f, span)));
    }
    // Nix 2.8 forces every replacement, used or not.
    let mut to = Vec::with_capacity(to_list.len());
    for t in to_list.iter() {
        to.push(want!(string(ev, t, span)));
    }
    let s = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut p = 0;
    while p <= s.len() {
        let found = from.iter().position(|f| s[p..].starts_with(f.as_bytes()));
        match found {
            Some(i) => {
                out.extend_from_slice(to[i].as_bytes());
                if from[i].is_empty() {
                    if p < s.len() {
                        out.push(s[p]);
                    }
                    p += 1;
                } else {
                    p += from[i].len();
                }
            }
            None => {
                if p < s.len() {
                    out.push(s[p]);
                }
                p += 1;
            }
        }
    }
    str_val(from_bytes(&out), span)
}

fn invalid_regex(pattern: &str, span: Span) -> Diagnostic {
    eval_error(span, format!("invalid regular expression `{pattern}`"))
        .with_hint("Nix's regular expressions are POSIX extended ones: no `\\d`, `\\n` or `(?:`")
}

/// The list of a match's groups (`null` for a group that took no part), as Nix gives it.
fn groups(hay: &[u8], g: &Groups, span: Span) -> Thunk {
    let items: Vec<Thunk> = g
        .iter()
        .skip(1)
        .map(|g| match g {
            Some((s, e)) => ready(V::Str(from_bytes(&hay[*s..*e])), span),
            None => ready(V::Null, span),
        })
        .collect();
    ready(V::List(items.into()), span)
}

fn match_(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let pattern = want!(string(ev, &args[0], span));
    let s = want!(string(ev, &args[1], span));
    let re = compile(&pattern).map_err(|_| invalid_regex(&pattern, span))?;
    match re.whole(s.as_bytes()) {
        Some(g) => ev.force(&groups(s.as_bytes(), &g, span)),
        None => val(V::Null, span),
    }
}

fn split(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let pattern = want!(string(ev, &args[0], span));
    let s_val = ev.force(&args[1])?;
    let s = want!(string(ev, &args[1], span));
    let re = compile(&pattern).map_err(|_| invalid_regex(&pattern, span))?;
    let hay = s.as_bytes();
    let mut out = Vec::new();
    let mut prefix_start = 0;
    let mut next = re.find_at(hay, 0);
    // As `std::regex_iterator`: after an empty match, a non-empty match at the same place, or
    // else the next match from one byte further.
    while let Some(g) = next {
        let (start, end) = g[0].unwrap_or((0, 0));
        out.push(ready(V::Str(from_bytes(&hay[prefix_start..start])), span));
        out.push(groups(hay, &g, span));
        prefix_start = end;
        next = if start < end {
            re.find_at(hay, end)
        } else if end == hay.len() {
            None
        } else if re.longest_at(hay, end).is_some_and(|e| e > end) {
            re.find_at(hay, end)
        } else {
            re.find_at(hay, end + 1)
        };
    }
    if out.is_empty() {
        return list_val(vec![Thunk::ready(s_val)], span);
    }
    out.push(ready(V::Str(from_bytes(&hay[prefix_start..])), span));
    list_val(out, span)
}

fn base_name_of(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let s = want!(coerced(ev, &args[0], Coerce::NoCopy, span));
    let s = s.strip_suffix('/').unwrap_or(&s);
    let base = match s.rfind('/') {
        Some(i) => &s[i + 1..],
        None => s,
    };
    str_val(base, span)
}

fn dir_of(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let v = ev.force(&args[0])?;
    let s = want!(coerce(ev, &v, Coerce::NoCopy, span));
    let dir = match s.rfind('/') {
        None => ".",
        Some(0) => "/",
        Some(i) => &s[..i],
    };
    match v.v {
        V::Path(_) => val(V::Path(Path::new(dir).into()), span),
        _ => str_val(dir, span),
    }
}

/// The next version component after `*p` (Nix's `nextComponent`): a run of digits or a run of
/// other characters, separators `.` and `-` skipped.
fn next_component<'a>(s: &'a [u8], p: &mut usize) -> &'a [u8] {
    while *p < s.len() && (s[*p] == b'.' || s[*p] == b'-') {
        *p += 1;
    }
    let start = *p;
    if *p < s.len() && s[*p].is_ascii_digit() {
        while *p < s.len() && s[*p].is_ascii_digit() {
            *p += 1;
        }
    } else {
        while *p < s.len() && !s[*p].is_ascii_digit() && s[*p] != b'.' && s[*p] != b'-' {
            *p += 1;
        }
    }
    &s[start..*p]
}

fn split_version(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let s = want!(string(ev, &args[0], span));
    let bytes = s.as_bytes();
    let mut p = 0;
    let mut out = Vec::new();
    while p < bytes.len() {
        let c = next_component(bytes, &mut p);
        if c.is_empty() {
            break;
        }
        out.push(ready(V::Str(from_bytes(c)), span));
    }
    list_val(out, span)
}

/// Nix's `componentsLT`: numbers numerically, `pre` before anything, numbers after words.
fn component_less(a: &[u8], b: &[u8]) -> bool {
    let num = |c: &[u8]| {
        std::str::from_utf8(c)
            .ok()
            .filter(|s| !s.is_empty())
            .and_then(|s| s.parse::<i32>().ok())
    };
    let (na, nb) = (num(a), num(b));
    match (na, nb) {
        (Some(x), Some(y)) => x < y,
        _ if a.is_empty() && nb.is_some() => true,
        _ if a == b"pre" && b != b"pre" => true,
        _ if b == b"pre" => false,
        (_, Some(_)) => true,
        (Some(_), _) => false,
        _ => a < b,
    }
}

pub(crate) fn compare_version_strings(a: &str, b: &str) -> i64 {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut p, mut q) = (0, 0);
    while p < a.len() || q < b.len() {
        let c1 = next_component(a, &mut p);
        let c2 = next_component(b, &mut q);
        if component_less(c1, c2) {
            return -1;
        }
        if component_less(c2, c1) {
            return 1;
        }
    }
    0
}

fn compare_versions(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let a = want!(string(ev, &args[0], span));
    let b = want!(string(ev, &args[1], span));
    val(V::Int(compare_version_strings(&a, &b)), span)
}

fn parse_drv_name(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let s = want!(coerced(ev, &args[0], Coerce::Copy, span));
    let bytes = s.as_bytes();
    let cut = (0..bytes.len())
        .find(|&i| bytes[i] == b'-' && i + 1 < bytes.len() && !bytes[i + 1].is_ascii_alphabetic());
    let (name, version) = match cut {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (&s[..], ""),
    };
    let mut map = AttrMap::new();
    map.insert("name".into(), binding(string_thunk(name, span), span));
    map.insert("version".into(), binding(string_thunk(version, span), span));
    attrs_val(map, span)
}

/// `toPath`: an absolute path's name, made canonical, as a string (as Nix 2.8 gives it).
fn to_path(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let s = want!(coerced(ev, &args[0], Coerce::NoCopy, span));
    if !s.starts_with('/') {
        return Err(eval_error(
            span,
            format!("the string `{s}` is not an absolute path"),
        ));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in s.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    str_val(format!("/{}", parts.join("/")), span)
}
