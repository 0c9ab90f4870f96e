//! The `write` stage: brings the output directory in line with the emitted files, or (for
//! `check`) says what would change.
//!
//! [`Output`] owns the output directory for one run of `generate` or `check`: it reads the
//! directory ahead while the flake is resolved, stages a first generation (creating the machine
//! stubs empty as soon as the machines are known), plans, takes the lock, applies, and returns
//! the [`Report`] of what changed. The command line hands it the emitted files and a [`Mode`];
//! it knows nothing of how they are written. The parts: [`plan`] (reading the directory,
//! comparing), [`apply`] (order and atomic writes), [`stage`] (first generations), [`lock`]
//! (one writer at a time), [`sources`] (`migrate`'s replacement of the flake's own files).
//!
//! Guarantees: a file is replaced atomically (a temporary file in the same directory, renamed
//! over it; a new file is written unnamed and then linked under its name), so every file is at
//! all times either its old or its new content (or absent, when new), however the process is
//! stopped; a first generation (no output directory yet) is written into a staging directory
//! beside it and renamed into place, so the output directory appears with every file or not at
//! all; an unchanged file is not touched (its mtime stays); a generated file that is no
//! longer emitted is removed; a file in the output directory that does not start with our header
//! is never modified or removed — the run fails before writing anything and names it; besides
//! generated files, only the tool's own leftovers (temporary files, the lock, staging
//! directories) are ever removed, recognised by their exact form; a generated file edited by hand
//! since it was written is reported as such ([`Change::Update`]'s `edited`); the output
//! directory must lie inside the flake, and no symbolic link in it is followed.
//! `migrate` replaces the flake's own source files through [`replace_sources`], with the same
//! atomicity, keeping their permissions.
//!
//! Writes happen in an order that keeps every reference between generated files resolvable if
//! a run stops half-way: members files, instance (and legacy service) files, then machine stubs,
//! then `runtime.nix`, then the index `default.nix`, and removals last, each before the files it
//! names. Within one of these groups files do not depend on each other, so a large group is
//! written by two threads; a group starts only when the one before it is complete. Temporary
//! files a killed run left behind are recognised by their exact form (name and contents) and
//! removed by the next run; special files (pipes, devices) are never opened.
//!
//! Durability: generated files are not synced one by one (that was one fsync per machine: 5000
//! fsyncs cost seconds); each directory written to is synced once at the end, so the renames and
//! removals survive a crash of the machine. What a power failure or kernel crash in the seconds
//! after a run can leave is a renamed file whose contents were not yet on disk (empty or short;
//! ext4's default `auto_da_alloc` flushes a file replaced by rename, so mostly new files). Such a
//! file fails `check` (or, when empty, is reported as not ours); the files are in git, and
//! deleting the output directory and regenerating restores them. `migrate` still syncs each
//! source file it replaces: those are the user's own files.

mod apply;
mod lock;
mod plan;
mod sources;
mod stage;

// The seams tests use to make writes fail, and what the command line renders.
pub use apply::{Disk, Sink, apply};
pub use lock::{LOCK_CONTENTS, LOCK_FILE};
pub use plan::{Change, Plan, TEMP_PREFIX, TEMP_SUFFIX, plan};
pub use sources::replace_sources;
pub use stage::{Created, STAGING_INFIX, create_all};

use plan::Existing;
use stage::Staging;
#[cfg(unix)]
use stage::remove_abandoned_staging;

use crate::diagnostics::{Diagnostic, Kind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{Scope, ScopedJoinHandle};

pub(crate) fn io(message: String) -> Diagnostic {
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

/// A unified diff of one change, for `check --diff`.
pub fn diff(path: &Path, change: &Change, new: Option<&str>) -> String {
    let (old, new) = match change {
        Change::Create => ("", new.unwrap_or("")),
        Change::Update { old, .. } => (old.as_str(), new.unwrap_or("")),
        Change::Remove { old } => (old.as_str(), ""),
    };
    let name = path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}
/// What a run does with the output directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `generate`: bring the directory in line with the emitted files.
    Write,
    /// `check` (the dry run of `generate`): say what would change; write nothing, take no lock.
    Check,
}

/// What a run changed (or, in [`Mode::Check`], would change): every file that differs, and how
/// many are already as emitted.
#[derive(Debug, Default)]
pub struct Report {
    pub changes: BTreeMap<PathBuf, Change>,
    pub unchanged: usize,
}

impl From<Plan> for Report {
    fn from(plan: Plan) -> Report {
        Report {
            changes: plan.changes,
            unchanged: plan.unchanged,
        }
    }
}

/// The output directory of one run of `generate` or `check`, from the moment the command starts
/// until the report. While `produce` (given to [`Output::run`]) reads, resolves and emits, a
/// second thread lists and reads the output directory it will most likely name, and, for a first
/// generation, a third creates the machine stubs empty in a staging directory once the machines
/// are known ([`Output::inventory_known`]). Dropped before the files are handed over (the run
/// stopped on an error), it stops both threads and leaves no trace.
pub struct Output<'scope> {
    mode: Mode,
    /// The output directory as read by a second thread, and where.
    ahead: Option<(
        PathBuf,
        ScopedJoinHandle<'scope, Result<Existing, Diagnostic>>,
    )>,
    precreate: Option<Precreate<'scope>>,
    /// Where the files go, once [`Output::place`] checked it.
    out_dir: Option<PathBuf>,
}

/// What `produce` hands over: anything the caller keeps, and the emitted files (path relative to
/// the output directory → contents).
pub type Produced<T> = Option<(T, BTreeMap<PathBuf, String>)>;

impl Output<'_> {
    /// Runs one `generate` (or `check`) on the output directory. `guess` is the flake root and
    /// output directory the command line expects before reading the flake; the directory is read
    /// ahead (and staged) only there. `produce` reads and resolves the flake, calls
    /// [`Output::place`] with the real output directory, then emits; `None` when it stopped (its
    /// diagnostics are the caller's). Returns what `produce` kept, the emitted files and the
    /// report, or the diagnostics that stopped the write.
    #[allow(clippy::type_complexity)]
    pub fn run<T>(
        guess: Option<(PathBuf, PathBuf)>,
        mode: Mode,
        produce: impl FnOnce(&mut Output<'_>) -> Produced<T>,
    ) -> Option<(
        T,
        BTreeMap<PathBuf, String>,
        Result<Report, Vec<Diagnostic>>,
    )> {
        let early_out = guess
            .filter(|(root, out)| check_out_dir(root, out).is_ok())
            .map(|(_, out)| out);
        // A first generation (no output directory yet) is mostly creating files, which needs
        // only their names.
        let first_generation = mode == Mode::Write
            && early_out.as_ref().is_some_and(|out| {
                std::fs::symlink_metadata(out)
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
            });
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let precreate = early_out
                .clone()
                .filter(|_| first_generation)
                .map(|out| Precreate::spawn(scope, out, &stop));
            // The output directory does not depend on the inventory: it is listed and read while
            // the flake is resolved. (For writing, it is read again under the lock.)
            let ahead = early_out.map(|out| {
                let handle = scope.spawn({
                    let out = out.clone();
                    move || plan::read_existing(&out, false)
                });
                (out, handle)
            });
            let mut output = Output {
                mode,
                ahead,
                precreate,
                out_dir: None,
            };
            let (kept, files) = produce(&mut output)?;
            let report = output.finish(&files);
            Some((kept, files, report))
        })
    }

    /// Checks and records the output directory: inside the flake, not through a symbolic link.
    pub fn place(&mut self, flake_root: &Path, out_dir: &Path) -> Result<(), Diagnostic> {
        check_out_dir(flake_root, out_dir)?;
        self.out_dir = Some(out_dir.to_path_buf());
        Ok(())
    }

    /// Called with the inventory as soon as it is typed and valid: for a first generation, its
    /// machines' stubs are created empty ahead of their contents.
    pub fn inventory_known(&mut self, inventory: &crate::lower::Inventory) {
        if let Some(p) = self.precreate.as_mut() {
            p.machines_known(inventory);
        }
    }

    /// Compares the emitted files with the directory and, in [`Mode::Write`], writes them.
    fn finish(self, files: &BTreeMap<PathBuf, String>) -> Result<Report, Vec<Diagnostic>> {
        let Some(out) = self.out_dir else {
            return Err(vec![io(
                "no output directory was given for the generated files".to_string(),
            )]);
        };
        let existing = match self.ahead {
            Some((early, handle)) if early == out => match handle.join() {
                Ok(existing) => existing,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            _ => plan::read_existing(&out, true),
        };
        let plan = existing
            .map_err(|d| vec![d])
            .and_then(|existing| plan::plan_against(&out, files, existing));
        crate::timing::mark("plan");
        let plan = plan?;
        if self.mode == Mode::Check {
            return Ok(plan.into());
        }
        let staging = self.precreate.and_then(Precreate::finish);
        let written = write_out(&out, files, plan, staging);
        crate::timing::mark("write");
        written.map(Report::from)
    }
}

/// Brings `out` in line with `files` and returns the plan that was carried out. A first
/// generation is created whole beside the output directory and renamed into place; otherwise the
/// plan is made again under the output directory's lock (another run may have written meanwhile)
/// and applied.
fn write_out(
    out: &Path,
    files: &BTreeMap<PathBuf, String>,
    plan: Plan,
    staging: Option<Staging>,
) -> Result<Plan, Vec<Diagnostic>> {
    let first_generation = plan.unchanged == 0
        && plan.changes.values().all(|c| *c == Change::Create)
        && std::fs::symlink_metadata(out).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
    // Staged for this output directory (`--out` resolves the same way before and after reading).
    let staging = staging.filter(|s| s.out_dir() == out);
    if !first_generation {
        drop(staging);
    } else {
        let created = match staging {
            Some(staging) => staging.finish(files, &mut Disk),
            None => create_all(out, files, &mut Disk),
        };
        match created {
            Ok(Created::Done) => return Ok(plan),
            Ok(Created::OutDirExists) => {}
            Err(d) => return Err(vec![d]),
        }
    }
    let (plan, _lock) = plan_locked(out, files, plan)?;
    if !plan.changes.is_empty() {
        #[cfg(unix)]
        remove_abandoned_staging(out);
    }
    apply(out, files, &plan, &mut Disk).map_err(|d| vec![d])?;
    // The lock, when one was taken, is released here, after the writes.
    Ok(plan)
}

/// For `generate`: when `first` (a plan made without the lock) changes something, or a killed
/// run left its lock file, takes the lock and plans again under it. The lock is held until the
/// returned value is dropped, which must be after the plan is applied.
fn plan_locked(
    out_dir: &Path,
    files: &BTreeMap<PathBuf, String>,
    first: Plan,
) -> Result<(Plan, Option<lock::Lock>), Vec<Diagnostic>> {
    let stale_lock = std::fs::symlink_metadata(out_dir.join(lock::LOCK_FILE)).is_ok();
    if first.changes.is_empty() && !stale_lock {
        return Ok((first, None));
    }
    let lock = lock::Lock::acquire(out_dir, lock::WAIT).map_err(|d| vec![d])?;
    let plan = plan::plan(out_dir, files)?;
    Ok((plan, Some(lock)))
}

/// The thread that creates a first generation's stubs empty in a staging directory
/// ([`Staging::precreate`]) while the flake is resolved and emitted. Dropped unfinished (the run
/// stopped), it stops, and the staging directory is removed.
struct Precreate<'scope> {
    names: Option<std::sync::mpsc::Sender<Vec<PathBuf>>>,
    stop: &'scope AtomicBool,
    handle: Option<ScopedJoinHandle<'scope, Option<Staging>>>,
}

impl<'scope> Precreate<'scope> {
    fn spawn<'env>(
        scope: &'scope Scope<'scope, 'env>,
        out: PathBuf,
        stop: &'scope AtomicBool,
    ) -> Precreate<'scope> {
        let (names, receive) = std::sync::mpsc::channel::<Vec<PathBuf>>();
        let handle = scope.spawn(move || {
            // Nothing is created before the inventory is known to be valid, and no directory
            // above the output directory: a run that fails leaves no trace.
            let paths = receive.recv().ok()?;
            let mut staging = Staging::begin(&out, false).ok()?;
            staging.precreate(&paths, stop);
            Some(staging)
        });
        Precreate {
            names: Some(names),
            stop,
            handle: Some(handle),
        }
    }

    /// Hands over the machines of a valid inventory: their stubs are the files to create.
    fn machines_known(&mut self, inventory: &crate::lower::Inventory) {
        if let Some(names) = self.names.take() {
            // Only names that are file names (the run stops on the others).
            let paths = inventory
                .machines
                .keys()
                .filter(|name| crate::lower::name_problem(name).is_none())
                .map(|name| PathBuf::from(format!("machines/{name}.nix")))
                .collect();
            let _ = names.send(paths);
        }
    }

    /// Stops the thread and takes its staging directory.
    fn finish(mut self) -> Option<Staging> {
        self.stop.store(true, Ordering::Relaxed);
        self.names = None;
        match self.handle.take()?.join() {
            Ok(staging) => staging,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for Precreate<'_> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Unblocks a thread still waiting for the machines; the scope joins it.
        self.names = None;
    }
}
