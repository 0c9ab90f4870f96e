//! Builtins that read the flake's files: `import`, `readFile`, `readDir` and `pathExists`.
//!
//! Every path they take must stay inside the flake, symbolic links included (the evaluator's
//! `check_inside`): reading anything else is an error at the path's span, never a guess. A path
//! is a path value, or a string holding an absolute path (as Nix coerces it). `import` of a
//! directory imports its `default.nix`. `readDir` names each entry `regular`, `directory`,
//! `symlink` or `unknown`, as Nix does, without following the entries' links. An opaque
//! argument gives an opaque result.

use super::super::Evaluator;
use super::super::errors::type_error;
use super::super::files::normalize;
use super::super::value::*;
use super::BuiltinDef;
use super::support::*;
use crate::diagnostics::{Diagnostic, Kind, Span};
use std::path::{Path, PathBuf};

pub static FILES: &[BuiltinDef] = defs![
    ("import", 1, import),
    ("readFile", 1, read_file),
    ("readDir", 1, read_dir),
    ("pathExists", 1, path_exists),
];

/// The path an argument names: a path, the string of a path's copy in the store (`"${./dir}/x"`,
/// `"${self}/x"`: the same files), or a string that is an absolute path.
fn path(
    ev: &mut Evaluator,
    t: &Thunk,
    span: Span,
) -> Result<Result<(PathBuf, Span), Val>, Diagnostic> {
    let v = ev.force(t)?;
    if let Some(p) = crate::read::eval::value_readable_path(&v) {
        return Ok(Ok((p.to_path_buf(), v.span)));
    }
    match &v.v {
        V::Str(s) if s.starts_with('/') => Ok(Ok((normalize(Path::new(&**s)), v.span))),
        V::Str(_) => Err(eval_error(
            v.span,
            format!("the string `{}` is not an absolute path", v_str(&v)),
        )),
        V::Opaque(_) => Ok(Err(ev.opaque_at(&v, span))),
        _ => Err(type_error(v.span, "a path", &v)),
    }
}

fn v_str(v: &Val) -> &str {
    match &v.v {
        V::Str(s) => s,
        _ => "",
    }
}

pub(crate) fn import(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let (p, at) = want!(path(ev, &args[0], span));
    let thunk = ev.import(&p, Some(at))?;
    ev.force(&thunk)
}

pub(crate) fn read_file(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let (p, at) = want!(path(ev, &args[0], span));
    let id = ev.read_text(&p, Some(at))?;
    let text = ev.sources.text(id);
    Ok(Val {
        v: V::Str(text.into()),
        span: Span {
            file: id,
            start: 0,
            end: text.len() as u32,
        },
    })
}

fn read_dir(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let (p, at) = want!(path(ev, &args[0], span));
    ev.check_inside(&p, Some(at))?;
    let cannot = |e: std::io::Error| {
        Diagnostic::at(
            Kind::MissingFile,
            at,
            format!("cannot read the directory `{}`: {}", ev.display_name(&p), e),
        )
        .with_label("read here")
        .with_hint("check the path; it is relative to the file that names it")
    };
    let entries = std::fs::read_dir(&p).map_err(cannot)?;
    let mut map = AttrMap::new();
    for entry in entries {
        let entry = entry.map_err(cannot)?;
        let Ok(name) = entry.file_name().into_string() else {
            return Err(Diagnostic::at(
                Kind::EvalError,
                at,
                format!(
                    "the directory `{}` has an entry whose name is not UTF-8",
                    ev.display_name(&p)
                ),
            ));
        };
        let kind = match entry.file_type() {
            Ok(t) if t.is_symlink() => "symlink",
            Ok(t) if t.is_dir() => "directory",
            Ok(t) if t.is_file() => "regular",
            _ => "unknown",
        };
        map.insert(name.into(), binding(string_thunk(kind, span), span));
    }
    attrs_val(map, span)
}

fn path_exists(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let (p, at) = want!(path(ev, &args[0], span));
    ev.check_inside(&p, Some(at))?;
    val(V::Bool(p.symlink_metadata().is_ok()), span)
}
