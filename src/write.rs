//! The `write` stage: brings the output directory in line with the emitted files, or (for
//! `check`) says what would change.
//!
//! Guarantees: a file is replaced atomically (a temporary file in the same directory, synced,
//! then renamed over it), so every file is at all times either its old or its new content; an
//! unchanged file is not touched (its mtime stays); a generated file that is no longer emitted
//! is removed; a file in the output directory that does not start with our header is never
//! modified or removed — the run fails before writing anything and names it; the output
//! directory must lie inside the flake, and no symbolic link in it is followed.
//! `migrate` replaces the flake's own source files through [`replace_sources`], with the same
//! atomicity, keeping their permissions.

use crate::diagnostics::{Diagnostic, Kind};
use crate::emit::HEADER_PREFIX;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// What a run would do to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Create,
    Update { old: String },
    Remove { old: String },
}

/// The difference between the emitted files and the output directory.
#[derive(Debug, Default)]
pub struct Plan {
    pub changes: BTreeMap<PathBuf, Change>,
    pub unchanged: usize,
}

fn io(message: String) -> Diagnostic {
    Diagnostic::new(Kind::Io, message)
}

/// Checks where the output directory is: inside the flake, not through a symbolic link.
pub fn check_out_dir(flake_root: &Path, out_dir: &Path) -> Result<(), Diagnostic> {
    if !out_dir.starts_with(flake_root) {
        return Err(Diagnostic::new(
            Kind::Usage,
            format!(
                "the output directory `{}` is outside the flake `{}`",
                out_dir.display(),
                flake_root.display()
            ),
        )
        .with_hint(
            "generated files belong in the flake so that its configurations can import them",
        ));
    }
    let mut current = flake_root.to_path_buf();
    if let Ok(relative) = out_dir.strip_prefix(flake_root) {
        for component in relative.components() {
            current.push(component);
            match std::fs::symlink_metadata(&current) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(io(format!(
                        "`{}` is a symbolic link; inventory-gen does not write through links",
                        current.display()
                    )));
                }
                Ok(meta) if !meta.is_dir() => {
                    return Err(io(format!(
                        "`{}` is a file, not a directory",
                        current.display()
                    ))
                    .with_hint("pass another --out, or move the file away"));
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
    Ok(())
}

/// Lists the regular files below `dir` (relative paths); links are reported, not followed.
fn existing_files(dir: &Path) -> Result<Vec<(PathBuf, bool)>, Diagnostic> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let full = dir.join(&relative);
        let entries = match std::fs::read_dir(&full) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(format!("cannot list `{}`: {e}", full.display()))),
        };
        for entry in entries {
            let entry = entry.map_err(|e| io(format!("cannot list `{}`: {e}", full.display())))?;
            let path = relative.join(entry.file_name());
            let kind = entry
                .file_type()
                .map_err(|e| io(format!("cannot read `{}`: {e}", dir.join(&path).display())))?;
            if kind.is_dir() {
                stack.push(path);
            } else {
                out.push((path, kind.is_symlink()));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn is_ours(text: &str) -> bool {
    text.starts_with(HEADER_PREFIX)
}

/// Compares the emitted files with the directory. Fails on foreign files in the way.
pub fn plan(out_dir: &Path, files: &BTreeMap<PathBuf, String>) -> Result<Plan, Vec<Diagnostic>> {
    let mut plan = Plan::default();
    let mut problems = Vec::new();
    let existing = existing_files(out_dir).map_err(|d| vec![d])?;
    let mut on_disk: BTreeMap<PathBuf, Option<String>> = BTreeMap::new();
    for (path, is_link) in existing {
        let full = out_dir.join(&path);
        if is_link {
            problems.push(
                io(format!(
                    "`{}` is a symbolic link in the output directory",
                    full.display()
                ))
                .with_hint("inventory-gen never follows or replaces links; remove it"),
            );
            continue;
        }
        let text = std::fs::read(&full)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        on_disk.insert(path, text);
    }
    for (path, text) in &on_disk {
        let ours = text.as_deref().is_some_and(is_ours);
        if !ours {
            let expected = files.contains_key(path);
            problems.push(
                Diagnostic::new(
                    Kind::ForeignFile,
                    format!(
                        "`{}` was not generated by inventory-gen{}",
                        out_dir.join(path).display(),
                        if expected { " but would be overwritten" } else { "" }
                    ),
                )
                .with_hint("inventory-gen never modifies or deletes files it did not write; move it out of the output directory"),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for (path, new) in files {
        match on_disk.remove(path) {
            Some(Some(old)) if &old == new => plan.unchanged += 1,
            Some(Some(old)) => {
                plan.changes.insert(path.clone(), Change::Update { old });
            }
            _ => {
                plan.changes.insert(path.clone(), Change::Create);
            }
        }
    }
    for (path, old) in on_disk {
        plan.changes.insert(
            path,
            Change::Remove {
                old: old.unwrap_or_default(),
            },
        );
    }
    Ok(plan)
}

/// Where the bytes go; a seam so tests can make writes fail.
pub trait Sink {
    fn write_file(&mut self, path: &Path, contents: &str) -> std::io::Result<()>;
    fn remove_file(&mut self, path: &Path) -> std::io::Result<()>;
}

/// The real file system: atomic replace via a temporary file and rename.
pub struct Disk;

impl Sink for Disk {
    fn write_file(&mut self, path: &Path, contents: &str) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut temp = tempfile::Builder::new()
            .prefix(".inventory-gen-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        temp.write_all(contents.as_bytes())?;
        temp.as_file().sync_all()?;
        temp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }

    fn remove_file(&mut self, path: &Path) -> std::io::Result<()> {
        std::fs::remove_file(path)
    }
}

/// Applies a plan. Stops at the first failure; files already replaced are complete.
pub fn apply(
    out_dir: &Path,
    files: &BTreeMap<PathBuf, String>,
    plan: &Plan,
    sink: &mut dyn Sink,
) -> Result<(), Diagnostic> {
    for (path, change) in &plan.changes {
        let full = out_dir.join(path);
        let result = match change {
            Change::Create | Change::Update { .. } => sink.write_file(&full, &files[path]),
            Change::Remove { .. } => sink.remove_file(&full),
        };
        result.map_err(|e| io(format!("cannot write `{}`: {e}", full.display())))?;
    }
    Ok(())
}

/// Replaces source files of the flake (for `migrate`), each atomically (a temporary file beside
/// it, synced, renamed over it) and keeping its permissions; a symbolic link is followed to the
/// file it names. Stops at the first failure; files already replaced are complete.
pub fn replace_sources(files: &[(PathBuf, String)]) -> Result<(), Diagnostic> {
    for (path, text) in files {
        let fail = |e: std::io::Error| io(format!("cannot write `{}`: {e}", path.display()));
        let target = path.canonicalize().map_err(fail)?;
        let permissions = std::fs::metadata(&target).map_err(fail)?.permissions();
        let dir = target.parent().unwrap_or(Path::new("."));
        let mut temp = tempfile::Builder::new()
            .prefix(".inventory-gen-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(fail)?;
        temp.write_all(text.as_bytes()).map_err(fail)?;
        std::fs::set_permissions(temp.path(), permissions).map_err(fail)?;
        temp.as_file().sync_all().map_err(fail)?;
        temp.persist(&target).map_err(|e| fail(e.error))?;
    }
    Ok(())
}

/// A unified diff of one change, for `check --diff`.
pub fn diff(path: &Path, change: &Change, new: Option<&str>) -> String {
    let (old, new) = match change {
        Change::Create => ("", new.unwrap_or("")),
        Change::Update { old } => (old.as_str(), new.unwrap_or("")),
        Change::Remove { old } => (old.as_str(), ""),
    };
    let name = path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}
