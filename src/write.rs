//! The `write` stage: brings the output directory in line with the emitted files, or (for
//! `check`) says what would change.
//!
//! Guarantees: a file is replaced atomically (a temporary file in the same directory, renamed
//! over it; a new file is written unnamed and then linked under its name), so every file is at
//! all times either its old or its new content (or absent, when new), however the process is
//! stopped; a first generation (no output directory yet) is written into a staging directory
//! beside it and renamed into place, so the output directory appears with every file or not at
//! all; an unchanged file is not touched (its mtime stays); a generated file that is no
//! longer emitted is removed; a file in the output directory that does not start with our header
//! is never modified or removed — the run fails before writing anything and names it; the output
//! directory must lie inside the flake, and no symbolic link in it is followed.
//! `migrate` replaces the flake's own source files through [`replace_sources`], with the same
//! atomicity, keeping their permissions.
//!
//! Writes happen in an order that keeps every reference between generated files resolvable if
//! a run stops half-way: members files, instance (and legacy service) files, then machine stubs,
//! then `runtime.nix`, then the index `default.nix`, and removals last, each before the files it
//! names. Within one of these groups files do not depend on each other, so a large group is
//! written by two threads; a group starts only when the one before it is complete. Temporary
//! files a killed run left behind are recognised by name and removed by the next run; special
//! files (pipes, devices) are never opened.
//!
//! Durability: generated files are not synced one by one (that was one fsync per machine: 5000
//! fsyncs cost seconds); each directory written to is synced once at the end, so the renames and
//! removals survive a crash of the machine. What a power failure or kernel crash in the seconds
//! after a run can leave is a renamed file whose contents were not yet on disk (empty or short;
//! ext4's default `auto_da_alloc` flushes a file replaced by rename, so mostly new files). Such a
//! file fails `check` (or, when empty, is reported as not ours); the files are in git, and
//! deleting the output directory and regenerating restores them. `migrate` still syncs each
//! source file it replaces: those are the user's own files.

use crate::diagnostics::{Diagnostic, Kind};
use crate::emit::HEADER_PREFIX;
use std::collections::{BTreeMap, BTreeSet};
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

/// Temporary files are named `.inventory-gen-<random>.tmp`; a run that is killed may leave one.
pub const TEMP_PREFIX: &str = ".inventory-gen-";
pub const TEMP_SUFFIX: &str = ".tmp";

fn is_temp(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(TEMP_PREFIX) && n.ends_with(TEMP_SUFFIX))
}

/// What a directory entry below the output directory is; only regular files are ever read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum EntryKind {
    File,
    Link,
    /// A pipe, socket or device.
    Special,
    Dir,
}

/// Lists the entries below `dir` (relative paths, sorted), directories included; links are
/// reported, not followed. The lock file of a running `generate` is not listed.
fn existing_files(dir: &Path) -> Result<Vec<(PathBuf, EntryKind)>, Diagnostic> {
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
                if path != Path::new(crate::lock::LOCK_FILE) {
                    out.push((path, EntryKind::File));
                }
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
/// regular file (temporary files of killed runs excepted: they are removed unread).
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
    let wanted = |(path, kind): &(PathBuf, EntryKind)| *kind == EntryKind::File && !is_temp(path);
    let read_some = |part: &[(PathBuf, EntryKind)]| {
        let mut buf = Vec::new();
        part.iter()
            .map(|entry| {
                if !wanted(entry) {
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
            // A temporary file of a killed run: removed unread.
            (EntryKind::File, None) => {
                changes.push((path, Change::Remove { old: String::new() }));
            }
            // Removed since the listing (by a concurrent run): it is not there.
            (EntryKind::File, Some(Content::Gone)) => {
                if emitted.is_some() {
                    changes.push((path, Change::Create));
                }
            }
            (EntryKind::File, Some(Content::Failed(e))) => {
                problems.push(io(format!("cannot read `{}`: {e}", full.display())));
            }
            (EntryKind::File, Some(Content::Bytes(bytes))) => {
                if emitted.is_some_and(|new| bytes == new.as_bytes()) {
                    plan.unchanged += 1;
                    continue;
                }
                match (String::from_utf8(bytes).ok(), emitted) {
                    (Some(old), emitted) if is_ours(&old) => match emitted {
                        Some(_) => changes.push((path, Change::Update { old })),
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

/// The order in which a plan is applied, so that a run stopped between two files leaves no
/// generated file naming one that is missing: members files (named by instance files), instance
/// and legacy service files (named by stubs), then stubs (named by the index), then the rest,
/// the index `default.nix` last of the writes; then removals, each before the files it names.
pub fn order(plan: &Plan) -> Vec<(&PathBuf, &Change)> {
    let mut ordered: Vec<(&PathBuf, &Change)> = plan.changes.iter().collect();
    ordered.sort_by_key(|(path, change)| (rank(path, change), *path));
    ordered
}

/// A change's place in [`order`]; changes of the same rank do not depend on each other.
fn rank(path: &Path, change: &Change) -> u8 {
    let first = path
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str());
    let members = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".members.nix"));
    let place = match first {
        Some("instances") if members => 0,
        Some("instances" | "services") => 1,
        Some("machines") => 2,
        _ if path == Path::new("default.nix") => 4,
        _ => 3,
    };
    match change {
        Change::Create | Change::Update { .. } => place,
        Change::Remove { .. } => 10 + (4 - place.min(4)),
    }
}

/// Where the bytes go; a seam so tests can make writes fail.
pub trait Sink {
    /// Replaces `path` atomically; its directory exists.
    fn write_file(&mut self, path: &Path, contents: &str) -> std::io::Result<()>;
    /// Creates `path`, which does not exist yet, atomically; its directory exists.
    fn create_file(&mut self, path: &Path, contents: &str) -> std::io::Result<()> {
        self.write_file(path, contents)
    }
    /// Writes `path` in a staging directory that no one reads before it is renamed into place
    /// whole, so the file itself needs no atomic step. The file may exist already, created
    /// empty ahead of its contents ([`Staging::precreate`]).
    fn create_staged(&mut self, path: &Path, contents: &str) -> std::io::Result<()> {
        self.write_file(path, contents)
    }
    /// Renames the complete staging directory `from` to `to`, which must not exist (or be an
    /// empty directory).
    fn rename_dir(&mut self, from: &Path, to: &Path) -> std::io::Result<()> {
        std::fs::rename(from, to)
    }
    fn remove_file(&mut self, path: &Path) -> std::io::Result<()>;
    fn create_dir(&mut self, path: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(path)
    }
    /// A second sink for a helper thread, when this one can be written from two threads at once
    /// (the real file system can; test sinks that count or fail writes keep the default).
    fn fork(&self) -> Option<Box<dyn Sink + Send>> {
        None
    }
    /// Makes the renames and removals done in `dir` durable.
    fn sync_dir(&mut self, dir: &Path) -> std::io::Result<()> {
        std::fs::File::open(dir)?.sync_all()
    }
}

/// The real file system: atomic replace via a temporary file and rename.
pub struct Disk;

impl Sink for Disk {
    fn write_file(&mut self, path: &Path, contents: &str) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut builder = tempfile::Builder::new();
        builder.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
        #[cfg(unix)]
        {
            // The mode a new file normally gets (0666 less the umask), not tempfile's 0600.
            use std::os::unix::fs::PermissionsExt as _;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let mut temp = builder.tempfile_in(dir)?;
        temp.write_all(contents.as_bytes())?;
        temp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }

    fn create_file(&mut self, path: &Path, contents: &str) -> std::io::Result<()> {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        if create_unnamed(path, contents)? {
            return Ok(());
        }
        self.write_file(path, contents)
    }

    fn create_staged(&mut self, path: &Path, contents: &str) -> std::io::Result<()> {
        #[cfg(unix)]
        use std::os::unix::fs::OpenOptionsExt as _;
        // A file created ahead is opened, which changes nothing in its directory, unlike
        // creating it; being empty, in a directory only this run writes, it needs no truncation.
        let file = match std::fs::OpenOptions::new().write(true).open(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                options.mode(0o666);
                options.open(path)
            }
            opened => opened,
        };
        file?.write_all(contents.as_bytes())
    }

    fn fork(&self) -> Option<Box<dyn Sink + Send>> {
        Some(Box::new(Disk))
    }

    fn remove_file(&mut self, path: &Path) -> std::io::Result<()> {
        match std::fs::remove_file(path) {
            // Already gone is what was wanted.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            result => result,
        }
    }
}

/// Creates `path` without a temporary name: the contents go into an unnamed file of the directory
/// (`O_TMPFILE`), which is then linked under its name, complete. One directory operation instead
/// of two (create, rename): a cold run at 5000 machines writes its files in about 20% less time.
/// `Ok(false)` when the system cannot do it (old kernel, file system without `O_TMPFILE`, no
/// `/proc`, or the name was taken meanwhile): the caller then renames a temporary file.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn create_unnamed(path: &Path, contents: &str) -> std::io::Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    let dir = path.parent().unwrap_or(Path::new("."));
    // The mode a new file normally gets (0666 less the umask), as for temporary files.
    let Ok(mut file) = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o666)
        .open(dir)
    else {
        return Ok(false);
    };
    file.write_all(contents.as_bytes())?;
    let (Ok(unnamed), Ok(target)) = (
        CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())),
        CString::new(path.as_os_str().as_bytes()),
    ) else {
        return Ok(false);
    };
    // SAFETY: both arguments are NUL-terminated strings that live until the call returns.
    let linked = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            unnamed.as_ptr(),
            libc::AT_FDCWD,
            target.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    Ok(linked == 0)
}

/// Applies a plan in [`order`]. Stops at the first failure; every file is then either old or
/// new, and running again completes the work. Each directory is created once, and synced once
/// after all its files are in place.
pub fn apply(
    out_dir: &Path,
    files: &BTreeMap<PathBuf, String>,
    plan: &Plan,
    sink: &mut dyn Sink,
) -> Result<(), Diagnostic> {
    // On a case-insensitive file system, writing `Jon.nix` replaces `jon.nix`, which the plan
    // then removes: that removal must not delete the new file.
    let written: BTreeMap<String, &PathBuf> = plan
        .changes
        .iter()
        .filter(|(_, c)| !matches!(c, Change::Remove { .. }))
        .map(|(p, _)| (p.to_string_lossy().to_lowercase(), p))
        .collect();
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let ordered = order(plan);
    for group in ordered.chunk_by(|a, b| rank(a.0, a.1) == rank(b.0, b.1)) {
        let writes = !matches!(group[0].1, Change::Remove { .. });
        if writes {
            for (path, _) in group {
                let full = out_dir.join(path);
                let dir = full.parent().unwrap_or(out_dir);
                if !dirs.contains(dir) {
                    sink.create_dir(dir).map_err(|e| write_failed(&full, &e))?;
                    dirs.insert(dir.to_path_buf());
                }
            }
            write_group(out_dir, out_dir, files, group, sink, false)?;
            continue;
        }
        for (path, _) in group {
            let full = out_dir.join(path);
            let alias = written
                .get(&path.to_string_lossy().to_lowercase())
                .is_some_and(|w| same_file(&full, &out_dir.join(w)));
            if alias {
                continue;
            }
            sink.remove_file(&full)
                .map_err(|e| write_failed(&full, &e))?;
            dirs.insert(full.parent().unwrap_or(out_dir).to_path_buf());
        }
    }
    // A new subdirectory's own entry lives in its parent: sync the parents up to `out_dir`'s.
    let mut all = dirs.clone();
    for dir in &dirs {
        let mut current = dir.as_path();
        while let Some(parent) = current.parent() {
            all.insert(parent.to_path_buf());
            if current == out_dir {
                break;
            }
            current = parent;
        }
    }
    for dir in all.iter().rev() {
        sink.sync_dir(dir).map_err(|e| write_failed(dir, &e))?;
    }
    Ok(())
}

/// Writes a group of files that do not depend on each other (their directories exist), below
/// `base`; `staged` when `base` is a staging directory that becomes `out_dir`, the place that
/// errors name. Creating thousands of files is
/// system-call time; a large group is split between two threads when the sink allows it. Each
/// stops at its first failure (and when the other has failed); the first failure is returned.
fn write_group(
    base: &Path,
    out_dir: &Path,
    files: &BTreeMap<PathBuf, String>,
    group: &[(&PathBuf, &Change)],
    sink: &mut dyn Sink,
    staged: bool,
) -> Result<(), Diagnostic> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let failed = AtomicBool::new(false);
    let write_some = |part: &[(&PathBuf, &Change)], sink: &mut dyn Sink| {
        for (path, change) in part {
            if failed.load(Ordering::Relaxed) {
                return Ok(());
            }
            let full = base.join(path);
            let result = match change {
                Change::Create if staged => sink.create_staged(&full, &files[*path]),
                Change::Create => sink.create_file(&full, &files[*path]),
                _ => sink.write_file(&full, &files[*path]),
            };
            if let Err(e) = result {
                failed.store(true, Ordering::Relaxed);
                return Err(write_failed(&out_dir.join(path), &e));
            }
        }
        Ok(())
    };
    let helper_sink = if group.len() >= crate::parallel::PARALLEL_FROM {
        sink.fork()
    } else {
        None
    };
    let Some(mut helper_sink) = helper_sink else {
        return write_some(group, sink);
    };
    let (first, second) = group.split_at(group.len() / 2);
    let (mine, theirs) = crate::parallel::join(
        || write_some(first, sink),
        || write_some(second, helper_sink.as_mut()),
    );
    mine.and(theirs)
}

/// What [`create_all`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    /// The output directory now holds exactly the emitted files.
    Done,
    /// The output directory exists (another run created it meanwhile); nothing was written, the
    /// files must go through [`apply`] under the lock.
    OutDirExists,
}

/// A first generation is staged in `.<name of the output directory>` + this + `<pid>-<random>`,
/// beside the output directory.
pub const STAGING_INFIX: &str = ".inventory-gen-new-";

/// Writes a first generation, when the output directory does not exist: every file goes into a
/// new staging directory beside it, which is then renamed to the output directory, complete
/// ([`Staging`]; `generate` begins one earlier and lets a thread create the stubs empty while
/// it resolves the inventory).
/// The output directory thus appears at once, holding every file or none, and each file needs
/// only a plain create (no temporary name, no link): about a fifth less system time per file
/// than [`apply`], which must keep every file of a directory in use whole.
///
/// The staging directory is locked (`flock`) while it is written and removed on any failure;
/// one left by a killed run is removed by a later run ([`remove_abandoned_staging`]). No lock on
/// the output directory is needed: `rename` does not replace a directory with files in it, so a
/// run that loses a race to create the output directory gets [`Created::OutDirExists`].
pub fn create_all(
    out_dir: &Path,
    files: &BTreeMap<PathBuf, String>,
    sink: &mut dyn Sink,
) -> Result<Created, Diagnostic> {
    let staging = Staging::begin(out_dir, true).map_err(|e| write_failed(out_dir, &e))?;
    staging.finish(files, sink)
}

/// The staging directory of a first generation, beside the output directory: locked while it
/// exists, and removed when dropped unless [`Staging::finish`] renamed it into place.
pub struct Staging {
    out_dir: PathBuf,
    dir: tempfile::TempDir,
    _held: std::fs::File,
    /// Files created empty ahead of their contents ([`Staging::precreate`]).
    precreated: Vec<PathBuf>,
}

impl Staging {
    /// Creates the staging directory of `out_dir` after removing staging directories that
    /// killed runs left; with `create_parents`, also the directories above `out_dir` that are
    /// missing (else they must exist).
    pub fn begin(out_dir: &Path, create_parents: bool) -> std::io::Result<Staging> {
        let (Some(parent), Some(name)) = (out_dir.parent(), out_dir.file_name()) else {
            return Err(std::io::Error::other("the output directory has no parent"));
        };
        if create_parents {
            std::fs::create_dir_all(parent)?;
        }
        #[cfg(unix)]
        remove_abandoned_staging(out_dir);
        let prefix = format!(
            ".{}{STAGING_INFIX}{}-",
            name.to_string_lossy(),
            std::process::id()
        );
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            // The mode `mkdir` gives (0777 less the umask), not tempfile's 0700.
            builder.permissions(std::fs::Permissions::from_mode(0o777));
        }
        let dir = builder.tempdir_in(parent)?;
        let held = std::fs::File::open(dir.path())?;
        held.lock()?;
        Ok(Staging {
            out_dir: out_dir.to_path_buf(),
            dir,
            _held: held,
            precreated: Vec::new(),
        })
    }

    /// The output directory this staging directory becomes.
    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// Creates the files at `paths` (relative, in one directory) empty, in order, until `stop`
    /// is set. Creating a file's directory entry is most of what writing a small file costs,
    /// and needs only its name: a second thread can do it while the contents are still being
    /// computed. A failure stops it quietly: those files are then created with their contents.
    pub fn precreate(&mut self, paths: &[PathBuf], stop: &std::sync::atomic::AtomicBool) {
        use std::sync::atomic::Ordering;
        let Some(dir) = paths.first().and_then(|p| p.parent()) else {
            return;
        };
        if std::fs::create_dir_all(self.dir.path().join(dir)).is_err() {
            return;
        }
        for path in paths {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let created = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(self.dir.path().join(path));
            if created.is_err() {
                return;
            }
            self.precreated.push(path.clone());
        }
    }

    /// Writes every file into the staging directory, then renames it to the output directory.
    /// [`Created::OutDirExists`] (and the staging directory removed) when the output directory
    /// appeared meanwhile.
    pub fn finish(
        self,
        files: &BTreeMap<PathBuf, String>,
        sink: &mut dyn Sink,
    ) -> Result<Created, Diagnostic> {
        let out_dir = self.out_dir.as_path();
        let staging = self.dir.path();
        let failed = |path: &Path, e: std::io::Error| write_failed(path, &e);
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
        for path in files.keys() {
            let mut dir = path.parent();
            while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
                dirs.insert(d.to_path_buf());
                dir = d.parent();
            }
        }
        for dir in &dirs {
            sink.create_dir(&staging.join(dir))
                .map_err(|e| failed(&out_dir.join(dir), e))?;
        }
        let creates: Vec<(&PathBuf, &Change)> =
            files.keys().map(|path| (path, &Change::Create)).collect();
        write_group(staging, out_dir, files, &creates, sink, true)?;
        for path in &self.precreated {
            if !files.contains_key(path) {
                sink.remove_file(&staging.join(path))
                    .map_err(|e| failed(&out_dir.join(path), e))?;
            }
        }
        for dir in dirs.iter().rev() {
            sink.sync_dir(&staging.join(dir))
                .map_err(|e| failed(&out_dir.join(dir), e))?;
        }
        sink.sync_dir(staging).map_err(|e| failed(out_dir, e))?;
        match sink.rename_dir(staging, out_dir) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::DirectoryNotEmpty | std::io::ErrorKind::AlreadyExists
                ) || std::fs::symlink_metadata(out_dir).is_ok() =>
            {
                return Ok(Created::OutDirExists);
            }
            Err(e) => return Err(failed(out_dir, e)),
        }
        // Renamed: there is nothing left to clean up at the staging path.
        let _ = self.dir.keep();
        let parent = out_dir.parent().unwrap_or(Path::new("."));
        sink.sync_dir(parent).map_err(|e| failed(parent, e))?;
        Ok(Created::Done)
    }
}

/// Removes the staging directories of `out_dir` that runs which were killed left behind: those
/// whose run has ended (no process with their pid) and that no one holds locked. Best effort: a
/// directory that cannot be removed now is left for a later run.
#[cfg(unix)]
pub fn remove_abandoned_staging(out_dir: &Path) {
    let (Some(parent), Some(name)) = (out_dir.parent(), out_dir.file_name()) else {
        return;
    };
    let prefix = format!(".{}{STAGING_INFIX}", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        if !entry.file_type().is_ok_and(|t| t.is_dir()) || process_exists(pid) {
            continue;
        }
        let path = entry.path();
        // A run still writing holds the lock; so does a cleaner of another run.
        let Ok(dir) = std::fs::File::open(&path) else {
            continue;
        };
        if dir.try_lock().is_ok() {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// True when a process with this pid exists (a live run, or another process that reused the
/// number: then the directory waits for a later run).
#[cfg(unix)]
fn process_exists(pid: libc::pid_t) -> bool {
    if pid <= 0 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
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

/// True when both paths name one file (one is a case variant of the other on a
/// case-insensitive file system).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (std::fs::symlink_metadata(a), std::fs::symlink_metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        true
    }
}

fn write_failed(path: &Path, e: &std::io::Error) -> Diagnostic {
    use std::io::ErrorKind as E;
    let hint = match e.kind() {
        E::PermissionDenied | E::ReadOnlyFilesystem => {
            "the output directory is not writable; files already written are complete, the rest \
             are untouched"
        }
        E::StorageFull | E::QuotaExceeded => {
            "the disk is full; files already written are complete, the rest are untouched: free \
             some space and run again"
        }
        _ => "files already written are complete, the rest are untouched: run again",
    };
    io(format!("cannot write `{}`: {e}", path.display())).with_hint(hint)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Records what it writes, fails on one path, and can be forked (like [`Disk`]).
    #[derive(Clone)]
    struct Recorder {
        written: Arc<Mutex<Vec<PathBuf>>>,
        threads: Arc<Mutex<BTreeSet<String>>>,
        fail_on: Option<PathBuf>,
    }

    impl Sink for Recorder {
        fn write_file(&mut self, path: &Path, _contents: &str) -> std::io::Result<()> {
            let thread = format!("{:?}", std::thread::current().id());
            self.threads.lock().expect("lock").insert(thread);
            if self.fail_on.as_deref() == Some(path) {
                return Err(std::io::Error::other("disk full"));
            }
            self.written.lock().expect("lock").push(path.to_path_buf());
            Ok(())
        }
        fn remove_file(&mut self, _path: &Path) -> std::io::Result<()> {
            Ok(())
        }
        fn create_dir(&mut self, _path: &Path) -> std::io::Result<()> {
            Ok(())
        }
        fn sync_dir(&mut self, _dir: &Path) -> std::io::Result<()> {
            Ok(())
        }
        fn fork(&self) -> Option<Box<dyn Sink + Send>> {
            Some(Box::new(self.clone()))
        }
    }

    fn fleet(machines: usize) -> (BTreeMap<PathBuf, String>, Plan) {
        let mut files = BTreeMap::new();
        for i in 0..machines {
            files.insert(
                PathBuf::from(format!("machines/m{i:04}.nix")),
                String::new(),
            );
        }
        files.insert(PathBuf::from("instances/a.members.nix"), String::new());
        files.insert(PathBuf::from("instances/a.nix"), String::new());
        files.insert(PathBuf::from("default.nix"), String::new());
        let plan = Plan {
            changes: files.keys().map(|p| (p.clone(), Change::Create)).collect(),
            unchanged: 0,
        };
        (files, plan)
    }

    fn recorder(fail_on: Option<PathBuf>) -> Recorder {
        Recorder {
            written: Arc::default(),
            threads: Arc::default(),
            fail_on,
        }
    }

    #[test]
    fn a_large_group_is_written_by_two_threads_in_order_of_groups() {
        let out = Path::new("/out");
        let (files, plan) = fleet(1000);
        let mut sink = recorder(None);
        apply(out, &files, &plan, &mut sink).expect("applied");
        let written = sink.written.lock().expect("lock").clone();
        assert_eq!(written.len(), 1003);
        assert_eq!(sink.threads.lock().expect("lock").len(), 2);
        let at = |p: &str| written.iter().position(|w| w == &out.join(p)).expect(p);
        let stubs: Vec<usize> = (0..1000)
            .map(|i| at(&format!("machines/m{i:04}.nix")))
            .collect();
        assert!(at("instances/a.members.nix") < at("instances/a.nix"));
        assert!(stubs.iter().all(|&s| s > at("instances/a.nix")));
        assert!(stubs.iter().all(|&s| s < at("default.nix")));
    }

    #[test]
    fn a_failure_on_either_thread_stops_the_run_before_the_next_group() {
        let out = Path::new("/out");
        let (files, plan) = fleet(1000);
        for failing in ["machines/m0010.nix", "machines/m0990.nix"] {
            let mut sink = recorder(Some(out.join(failing)));
            let e = apply(out, &files, &plan, &mut sink).expect_err("a write fails");
            assert!(e.message.contains(failing), "{}", e.message);
            let written = sink.written.lock().expect("lock").clone();
            assert!(!written.contains(&out.join("default.nix")), "{failing}");
            assert!(!written.contains(&out.join(failing)));
            assert!(written.contains(&out.join("instances/a.nix")));
        }
    }

    /// The entries of `dir` whose names show they are staging directories.
    #[cfg(unix)]
    fn staging_dirs(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(STAGING_INFIX))
            .collect()
    }

    #[cfg(unix)]
    fn contents_of(out: &Path) -> BTreeMap<PathBuf, String> {
        existing_files(out)
            .expect("list")
            .into_iter()
            .filter(|(_, kind)| *kind == EntryKind::File)
            .map(|(p, _)| {
                let text = std::fs::read_to_string(out.join(&p)).expect("read");
                (p, text)
            })
            .collect()
    }

    #[cfg(unix)]
    fn numbered_fleet(machines: usize) -> BTreeMap<PathBuf, String> {
        let (mut files, _) = fleet(machines);
        for (i, text) in files.values_mut().enumerate() {
            *text = format!("{HEADER_PREFIX} {i}\n");
        }
        files
    }

    #[cfg(unix)]
    #[test]
    fn a_first_generation_appears_whole_with_the_usual_modes() {
        use std::os::unix::fs::PermissionsExt as _;
        let temp = tempfile::tempdir().expect("tempdir");
        let out = temp.path().join("generated/inventory");
        let files = numbered_fleet(300);
        let created = create_all(&out, &files, &mut Disk).expect("created");
        assert_eq!(created, Created::Done);
        assert_eq!(contents_of(&out), files);
        assert_eq!(
            staging_dirs(&temp.path().join("generated")),
            Vec::<String>::new()
        );
        // As `mkdir` and `open` would make them: the umask applies, nothing is private.
        let reference = temp.path().join("reference");
        std::fs::create_dir(&reference).expect("mkdir");
        std::fs::write(reference.join("f"), "").expect("write");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&out), mode(&reference));
        assert_eq!(mode(&out.join("machines")), mode(&reference));
        assert_eq!(mode(&out.join("default.nix")), mode(&reference.join("f")));
    }

    #[cfg(unix)]
    #[test]
    fn files_created_empty_ahead_are_filled_and_extra_ones_dropped() {
        use std::sync::atomic::AtomicBool;
        let temp = tempfile::tempdir().expect("tempdir");
        let out = temp.path().join("inventory");
        let files = numbered_fleet(300);
        let mut ahead: Vec<PathBuf> = files
            .keys()
            .filter(|p| p.starts_with("machines"))
            .take(200)
            .cloned()
            .collect();
        ahead.push(PathBuf::from("machines/gone.nix"));
        ahead.sort();
        let mut staging = Staging::begin(&out, false).expect("staging");
        staging.precreate(&ahead, &AtomicBool::new(false));
        assert_eq!(staging.precreated.len(), 201);
        // Created, empty, in the staging directory only.
        assert!(!out.exists());
        let dir = staging.dir.path().to_path_buf();
        assert_eq!(std::fs::read(dir.join(&ahead[0])).expect("created"), b"");
        assert_eq!(
            staging.finish(&files, &mut Disk).expect("finished"),
            Created::Done
        );
        assert_eq!(contents_of(&out), files);
        assert_eq!(staging_dirs(temp.path()), Vec::<String>::new());

        // Asked to stop, it creates nothing more; a missing parent is not created.
        let other = temp.path().join("other");
        let mut staging = Staging::begin(&other, false).expect("staging");
        staging.precreate(&ahead, &AtomicBool::new(true));
        assert!(staging.precreated.is_empty());
        drop(staging);
        assert_eq!(staging_dirs(temp.path()), Vec::<String>::new());
        assert!(Staging::begin(&temp.path().join("missing/inventory"), false).is_err());
        assert!(!temp.path().join("missing").exists());
    }

    /// Fails the `fail_at`-th staged file (0-based), on whichever thread writes it.
    #[cfg(unix)]
    #[derive(Clone)]
    struct FailingStage {
        done: Arc<Mutex<usize>>,
        fail_at: usize,
    }

    #[cfg(unix)]
    impl Sink for FailingStage {
        fn write_file(&mut self, path: &Path, contents: &str) -> std::io::Result<()> {
            Disk.write_file(path, contents)
        }
        fn create_staged(&mut self, path: &Path, contents: &str) -> std::io::Result<()> {
            let mut done = self.done.lock().expect("lock");
            if *done == self.fail_at {
                return Err(std::io::Error::from_raw_os_error(libc::ENOSPC));
            }
            *done += 1;
            Disk.create_staged(path, contents)
        }
        fn remove_file(&mut self, path: &Path) -> std::io::Result<()> {
            Disk.remove_file(path)
        }
        fn fork(&self) -> Option<Box<dyn Sink + Send>> {
            Some(Box::new(self.clone()))
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_first_generation_that_fails_leaves_neither_output_nor_staging() {
        let temp = tempfile::tempdir().expect("tempdir");
        let out = temp.path().join("inventory");
        let files = numbered_fleet(300);
        for fail_at in [0, 1, 150, 302] {
            let mut sink = FailingStage {
                done: Arc::default(),
                fail_at,
            };
            let e = create_all(&out, &files, &mut sink).expect_err("a write fails");
            assert!(
                e.message.contains(&out.display().to_string()),
                "{}",
                e.message
            );
            assert!(!e.message.contains(STAGING_INFIX), "{}", e.message);
            assert!(
                e.hint
                    .as_deref()
                    .is_some_and(|h| h.contains("disk is full"))
            );
            assert!(!out.exists(), "fail_at {fail_at}");
            assert_eq!(staging_dirs(temp.path()), Vec::<String>::new());
        }
    }

    /// Another run creates the output directory just before this one renames its staging
    /// directory.
    #[cfg(unix)]
    struct Overtaken;

    #[cfg(unix)]
    impl Sink for Overtaken {
        fn write_file(&mut self, path: &Path, contents: &str) -> std::io::Result<()> {
            Disk.write_file(path, contents)
        }
        fn remove_file(&mut self, path: &Path) -> std::io::Result<()> {
            Disk.remove_file(path)
        }
        fn rename_dir(&mut self, from: &Path, to: &Path) -> std::io::Result<()> {
            std::fs::create_dir(to)?;
            std::fs::write(to.join("default.nix"), "theirs")?;
            std::fs::rename(from, to)
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_first_generation_overtaken_by_another_run_leaves_that_runs_files() {
        let temp = tempfile::tempdir().expect("tempdir");
        let out = temp.path().join("inventory");
        let files = numbered_fleet(3);
        let created = create_all(&out, &files, &mut Overtaken).expect("no error");
        assert_eq!(created, Created::OutDirExists);
        let theirs = BTreeMap::from([(PathBuf::from("default.nix"), "theirs".to_string())]);
        assert_eq!(contents_of(&out), theirs);
        assert_eq!(staging_dirs(temp.path()), Vec::<String>::new());
    }

    #[cfg(unix)]
    #[test]
    fn only_staging_directories_of_ended_runs_that_no_one_holds_are_removed() {
        let temp = tempfile::tempdir().expect("tempdir");
        let out = temp.path().join("inventory");
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let ended = child.id();
        child.wait().expect("wait");
        let staging = |pid: u32, tail: &str| format!(".inventory{STAGING_INFIX}{pid}-{tail}");
        let abandoned = staging(ended, "a1");
        let held = staging(ended, "b2");
        let running = staging(std::process::id(), "c3");
        let other_output = format!(".elsewhere{STAGING_INFIX}{ended}-d4");
        let not_ours = "inventory-notes".to_string();
        for name in [&abandoned, &held, &running, &other_output, &not_ours] {
            std::fs::create_dir(temp.path().join(name)).expect("mkdir");
            std::fs::write(temp.path().join(name).join("x.nix"), "x").expect("write");
        }
        let lock = std::fs::File::open(temp.path().join(&held)).expect("open");
        lock.lock().expect("lock");
        remove_abandoned_staging(&out);
        let mut left = std::fs::read_dir(temp.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect::<Vec<_>>();
        left.sort();
        let mut expected = vec![held, running, other_output, not_ours];
        expected.sort();
        assert_eq!(left, expected);
    }
}
