//! Planning: lists and reads the output directory, and compares it with the emitted files.
//!
//! Guarantees: only regular files are read (links, pipes, sockets and devices are reported,
//! never opened); a file is planned for an update or a removal only when it starts with the
//! generated header, and every other file in the way fails the plan with a diagnostic naming
//! it; the tool's own leftovers (temporary files of a killed run, the lock) are recognised by
//! their exact form, so a user's file that merely resembles one is foreign like any other.

use super::io;
use super::lock::{LOCK_CONTENTS, LOCK_FILE};
use crate::diagnostics::{Diagnostic, Kind};
use crate::emit::HEADER_PREFIX;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a run would do to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Create,
    /// `edited`: the file was edited by hand since the tool wrote it (the edit is replaced).
    Update {
        old: String,
        edited: bool,
    },
    Remove {
        old: String,
    },
}

/// The difference between the emitted files and the output directory.
#[derive(Debug, Default)]
pub struct Plan {
    pub changes: BTreeMap<PathBuf, Change>,
    pub unchanged: usize,
}

/// Temporary files are named `.inventory-gen-` + [`TEMP_RANDOM`] letters or digits + `.tmp`; a run
/// that is killed may leave one.
pub const TEMP_PREFIX: &str = ".inventory-gen-";
pub const TEMP_SUFFIX: &str = ".tmp";
/// How many random letters and digits a temporary file's name has (pinned where it is created).
pub const TEMP_RANDOM: usize = 6;

/// True when `path` has the exact form of the tool's temporary files' names. A user's
/// `.inventory-gen-notes.tmp` does not: it is a foreign file like any other.
fn is_temp_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix(TEMP_PREFIX))
        .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
        .is_some_and(|random| {
            random.len() == TEMP_RANDOM && random.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// True when `bytes` can be what a killed run left in one of its temporary files: a generated
/// text or the lock file's contents, whole or cut short (down to nothing).
fn is_own_temp_contents(bytes: &[u8]) -> bool {
    let header = HEADER_PREFIX.as_bytes();
    bytes.starts_with(header)
        || header.starts_with(bytes)
        || LOCK_CONTENTS.as_bytes().starts_with(bytes)
}

/// What a directory entry below the output directory is; only regular files are ever read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum EntryKind {
    File,
    Link,
    /// A pipe, socket or device.
    Special,
    Dir,
}

/// Lists the entries below `dir` (relative paths, sorted), directories included; links are
/// reported, not followed.
pub(super) fn existing_files(dir: &Path) -> Result<Vec<(PathBuf, EntryKind)>, Diagnostic> {
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
                out.push((path.clone(), EntryKind::Dir));
                stack.push(path);
            } else if kind.is_symlink() {
                out.push((path, EntryKind::Link));
            } else if kind.is_file() {
                out.push((path, EntryKind::File));
            } else {
                out.push((path, EntryKind::Special));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn is_ours(text: &str) -> bool {
    text.starts_with(HEADER_PREFIX)
}

/// What the output directory holds: every entry below it (sorted), with the contents of each
/// regular file.
pub struct Existing {
    entries: Vec<(PathBuf, EntryKind, Option<Content>)>,
}

enum Content {
    Bytes(Vec<u8>),
    /// Removed since the directory was listed.
    Gone,
    Failed(std::io::Error),
}

/// Lists and reads the output directory. Reading thousands of small files is mostly system-call
/// time: with `threads`, a large directory is read by two threads. A file larger than any
/// generated file is not read whole: its first bytes show it is not ours.
pub fn read_existing(out_dir: &Path, threads: bool) -> Result<Existing, Diagnostic> {
    let listed = existing_files(out_dir)?;
    let read_some = |part: &[(PathBuf, EntryKind)]| {
        let mut buf = Vec::new();
        part.iter()
            .map(|entry| {
                if entry.1 != EntryKind::File {
                    return None;
                }
                Some(match read_small(&out_dir.join(&entry.0), &mut buf) {
                    Ok(()) => Content::Bytes(buf.as_slice().to_vec()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Content::Gone,
                    Err(e) => Content::Failed(e),
                })
            })
            .collect::<Vec<_>>()
    };
    let contents = if threads {
        crate::parallel::map_halves(&listed, read_some)
    } else {
        read_some(&listed)
    };
    let entries = listed
        .into_iter()
        .zip(contents)
        .map(|((path, kind), content)| (path, kind, content))
        .collect();
    Ok(Existing { entries })
}

/// Compares the emitted files with the directory, read now. Fails on foreign files in the way.
pub fn plan(out_dir: &Path, files: &BTreeMap<PathBuf, String>) -> Result<Plan, Vec<Diagnostic>> {
    let existing = read_existing(out_dir, true).map_err(|d| vec![d])?;
    plan_against(out_dir, files, existing)
}

/// Compares the emitted files with what [`read_existing`] found. Fails on foreign files in the
/// way.
///
/// Both sides are sorted by path and walked together, instead of searching maps of paths for
/// every file (each search compares paths component by component).
pub fn plan_against(
    out_dir: &Path,
    files: &BTreeMap<PathBuf, String>,
    existing: Existing,
) -> Result<Plan, Vec<Diagnostic>> {
    let mut plan = Plan::default();
    let mut problems = Vec::new();
    let mut in_the_way = Vec::new();
    let mut foreign = Vec::new();
    let mut changes = Vec::new();
    let mut new = files.iter().peekable();
    for (path, kind, content) in existing.entries {
        while let Some((p, _)) = new.next_if(|(p, _)| **p < path) {
            changes.push((p.clone(), Change::Create));
        }
        let emitted = new.next_if(|(p, _)| **p == path).map(|(_, text)| text);
        let full = out_dir.join(&path);
        match (kind, content) {
            (EntryKind::Dir, _) => {
                if emitted.is_some() {
                    in_the_way.push(full);
                }
            }
            (EntryKind::Link, _) => {
                problems.push(
                    io(format!(
                        "`{}` is a symbolic link in the output directory",
                        full.display()
                    ))
                    .with_hint("inventory-gen never follows or replaces links; remove it"),
                );
            }
            (EntryKind::Special, _) => {
                problems.push(
                    Diagnostic::new(
                        Kind::ForeignFile,
                        format!(
                            "`{}` is not a regular file (a pipe, socket or device)",
                            full.display()
                        ),
                    )
                    .with_hint("inventory-gen never opens special files; move it out of the output directory"),
                );
            }
            (EntryKind::File, None) => {}
            // Removed since the listing (by a concurrent run): it is not there.
            (EntryKind::File, Some(Content::Gone)) => {
                if emitted.is_some() {
                    changes.push((path, Change::Create));
                }
            }
            (EntryKind::File, Some(Content::Failed(e))) => {
                problems.push(io(format!("cannot read `{}`: {e}", full.display())));
            }
            // The lock of a running `generate`, or one a killed run left (removed under the lock
            // by the next run that writes); a file of that name with other contents is foreign.
            (EntryKind::File, Some(Content::Bytes(bytes))) if path == Path::new(LOCK_FILE) => {
                if bytes != LOCK_CONTENTS.as_bytes() {
                    foreign.push((full, emitted.is_some()));
                }
            }
            // A temporary file of a killed run: removed.
            (EntryKind::File, Some(Content::Bytes(bytes)))
                if is_temp_name(&path) && is_own_temp_contents(&bytes) =>
            {
                changes.push((path, Change::Remove { old: String::new() }));
            }
            (EntryKind::File, Some(Content::Bytes(bytes))) => {
                if emitted.is_some_and(|new| bytes == new.as_bytes()) {
                    plan.unchanged += 1;
                    continue;
                }
                match (String::from_utf8(bytes).ok(), emitted) {
                    (Some(old), emitted) if is_ours(&old) => match emitted {
                        Some(_) => {
                            let edited = super::apply::edited_since_written(&full, old.as_bytes());
                            changes.push((path, Change::Update { old, edited }));
                        }
                        None => changes.push((path, Change::Remove { old })),
                    },
                    (_, emitted) => foreign.push((full, emitted.is_some())),
                }
            }
        }
    }
    for (p, _) in new {
        changes.push((p.clone(), Change::Create));
    }
    for full in in_the_way {
        problems.push(
            Diagnostic::new(
                Kind::ForeignFile,
                format!(
                    "`{}` is a directory where inventory-gen writes a file",
                    full.display()
                ),
            )
            .with_hint("move it out of the output directory"),
        );
    }
    for (full, expected) in foreign {
        problems.push(
            Diagnostic::new(
                Kind::ForeignFile,
                format!(
                    "`{}` was not generated by inventory-gen{}",
                    full.display(),
                    if expected { " but would be overwritten" } else { "" }
                ),
            )
            .with_hint("inventory-gen never modifies or deletes files it did not write; move it out of the output directory"),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    plan.changes = changes.into_iter().collect();
    Ok(plan)
}

/// Reads a file of the output directory into `buf`, which is reused from file to file. Reading
/// through `Take` also spares the size queries of `File::read_to_end`.
fn read_small(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::Read as _;
    buf.clear();
    std::fs::File::open(path)?
        .take(crate::read::eval::MAX_FILE_BYTES)
        .read_to_end(buf)?;
    Ok(())
}
