//! Reading files of the flake: every read is bounded in size, stays inside the flake (symbolic
//! links included), and registers the file in the source map so diagnostics can point into it.
//! Each Nix file is parsed once and each import evaluated once.

use super::errors::syntax_error;
use super::value::{Scope, Thunk};
use super::{Evaluator, LoadedFile};
use crate::diagnostics::{Diagnostic, FileId, Kind, Span};
use rnix::ast;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

/// Lexically normalises `path` (removes `.` and resolves `..`), without touching the disk.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

impl Evaluator {
    /// Display name of a path: relative to the flake root.
    pub fn display_name(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| path.display().to_string())
    }

    /// Checks that `path` (absolute, normalised) stays in the flake, symlinks included.
    pub fn check_inside(&self, path: &Path, span: Option<Span>) -> Result<(), Diagnostic> {
        let outside = |what: String| {
            let d = Diagnostic::new(Kind::BadImport, what).with_hint(
                "the inventory may only read files inside the flake; copy the file into the flake",
            );
            match span {
                Some(s) => d.with_span(s),
                None => d,
            }
        };
        if !path.starts_with(&self.root) {
            // An absolute path (`/etc/x`, which shares only `/` with the flake) is shown as it was
            // written; anything else relative to the flake, as it was most likely written.
            if path
                .components()
                .zip(self.root.components())
                .take_while(|(a, b)| a == b)
                .count()
                <= 1
            {
                return Err(outside(format!(
                    "the absolute path `{}` is outside the flake",
                    path.display()
                )));
            }
            let common = path
                .components()
                .zip(self.root.components())
                .take_while(|(a, b)| a == b)
                .count();
            let mut shown = PathBuf::new();
            for _ in common..self.root.components().count() {
                shown.push("..");
            }
            shown.extend(path.components().skip(common));
            return Err(outside(format!(
                "`{}` is outside the flake",
                shown.display()
            )));
        }
        if let Ok(real) = path.canonicalize()
            && !real.starts_with(&self.root)
        {
            return Err(outside(format!(
                "`{}` leads outside the flake (through a symbolic link, to `{}`)",
                self.display_name(path),
                real.display()
            )));
        }
        Ok(())
    }

    /// Reads a file in the flake as text, registering it for diagnostics.
    pub fn read_text(&mut self, path: &Path, span: Option<Span>) -> Result<FileId, Diagnostic> {
        if let Some(id) = self.sources.find(path) {
            return Ok(id);
        }
        self.check_inside(path, span)?;
        let display = self.display_name(path);
        if let Some(text) = self.overlay.get(path) {
            let text = text.clone();
            return Ok(self.sources.add(display, path.to_path_buf(), text));
        }
        match read_bounded(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) if !text.contains('\0') => {
                    Ok(self.sources.add(display, path.to_path_buf(), text))
                }
                result => {
                    let what = if result.is_ok() {
                        "contains a NUL byte"
                    } else {
                        "is not UTF-8"
                    };
                    let d = Diagnostic::new(
                        Kind::Syntax,
                        format!("`{display}` {what}: it is binary, not text"),
                    )
                    .with_hint("Nix and JSON files must be UTF-8 text without NUL bytes");
                    Err(match span {
                        Some(s) => d.with_span(s).with_label("read here"),
                        None => d,
                    })
                }
            },
            Err((reason, hint)) => {
                let d = Diagnostic::new(
                    Kind::MissingFile,
                    format!("cannot read `{display}`: {reason}"),
                );
                Err(match span {
                    Some(s) => d.with_span(s).with_label("imported here").with_hint(hint),
                    None => d.with_hint(hint),
                })
            }
        }
    }

    /// Parses a Nix file (once) and returns its root expression.
    pub fn parse_file(
        &mut self,
        path: &Path,
        span: Option<Span>,
    ) -> Result<(FileId, ast::Expr), Diagnostic> {
        if let Some(f) = self.files.get(path) {
            return f.root.clone().map(|e| (f.id, e));
        }
        let id = self.read_text(path, span)?;
        if let Err(d) = crate::read::nesting::check(self.sources.text(id), id) {
            self.files.insert(
                path.to_path_buf(),
                LoadedFile {
                    id,
                    root: Err(d.clone()),
                },
            );
            return Err(d);
        }
        let parse = rnix::Root::parse(self.sources.text(id));
        let root = match parse.errors().first() {
            Some(_) if self.sources.text(id).starts_with('\u{feff}') => Err(Diagnostic::at(
                Kind::Syntax,
                Span {
                    file: id,
                    start: 0,
                    end: 3,
                },
                "the file starts with a byte order mark (U+FEFF), which Nix does not accept",
            )
            .with_hint("save the file as UTF-8 without a byte order mark")),
            Some(e) => Err(syntax_error(id, e)),
            None => parse.tree().expr().ok_or_else(|| {
                Diagnostic::at(
                    Kind::Syntax,
                    Span {
                        file: id,
                        start: 0,
                        end: 0,
                    },
                    "the file holds no expression",
                )
            }),
        };
        self.files.insert(
            path.to_path_buf(),
            LoadedFile {
                id,
                root: root.clone(),
            },
        );
        root.map(|e| (id, e))
    }

    /// `import path`: the file's value, evaluated once.
    pub fn import(&mut self, path: &Path, span: Option<Span>) -> Result<Thunk, Diagnostic> {
        let mut path = path.to_path_buf();
        if path.is_dir() {
            path.push("default.nix");
        }
        if let Some(t) = self.imports.get(&path) {
            return Ok(t.clone());
        }
        let (file, expr) = self.parse_file(&path, span)?;
        let thunk = Thunk::code(expr, Rc::new(Scope::Root), file);
        self.imports.insert(path, thunk.clone());
        Ok(thunk)
    }
}

/// Files larger than this are not read: an inventory is small, and reading a huge file would
/// only exhaust memory.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads a regular file of at most [`MAX_FILE_BYTES`]. Devices, pipes and sockets are refused
/// before they are opened, so reading never blocks. Errors are (reason, hint).
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, (String, &'static str)> {
    use std::io::Read as _;
    let failed = |e: std::io::Error| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            "check the path; it is relative to the file that names it"
        } else {
            "check the file's permissions"
        };
        (io_reason(&e), hint)
    };
    let too_large = |len: u64| {
        (
            format!(
                "it is {:.1} MiB, more than the {} MiB an inventory file may have",
                len as f64 / (1024.0 * 1024.0),
                MAX_FILE_BYTES >> 20
            ),
            "inventory files are small text files; is this the right file?",
        )
    };
    let meta = std::fs::metadata(path).map_err(failed)?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "it is a directory"
        } else {
            "it is not a regular file (a device, pipe or socket)"
        };
        return Err((what.into(), "only regular files in the flake can be read"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(failed)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
