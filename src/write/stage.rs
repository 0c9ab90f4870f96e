//! Staging a first generation: when the output directory does not exist yet, every file is
//! written into a new directory beside it, which is renamed into place complete.
//!
//! Guarantees: the output directory appears with every file or not at all; the staging
//! directory is locked while it is written and removed on any failure, together with the
//! directories above the output directory that the run created; one left by a killed run is
//! removed by a later run once no process has its pid and no one holds it locked.

use super::apply::{Sink, write_failed, write_group};
use super::plan::{Change, TEMP_RANDOM};
use crate::diagnostics::Diagnostic;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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
    /// Dropped after `dir` (fields drop in order): the directories above the output directory
    /// that this run created go once the staging directory is gone.
    parents: CreatedParents,
}

/// The directories above the output directory that a first generation created (`generated/`
/// for `generated/inventory`), innermost first: removed again, when still empty, unless the run
/// renamed its staging directory into place. A first generation that fails (a full disk) thus
/// leaves the flake as it found it.
struct CreatedParents(Vec<PathBuf>);

impl CreatedParents {
    /// Creates `dir` and the directories above it that are missing.
    fn create(dir: &Path) -> std::io::Result<CreatedParents> {
        let mut missing = Vec::new();
        let mut current = Some(dir);
        while let Some(d) = current.filter(|d| !d.as_os_str().is_empty()) {
            if std::fs::symlink_metadata(d).is_ok() {
                break;
            }
            missing.push(d.to_path_buf());
            current = d.parent();
        }
        let mut created = CreatedParents(Vec::new());
        for d in missing.iter().rev() {
            match std::fs::create_dir(d) {
                Ok(()) => created.0.insert(0, d.clone()),
                // Another run created it meanwhile: it is not this run's to remove.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Ok(created)
    }
}

impl Drop for CreatedParents {
    fn drop(&mut self) {
        for dir in &self.0 {
            // Fails, and leaves it, when anything is in it.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

impl Staging {
    /// Creates the staging directory of `out_dir` after removing staging directories that
    /// killed runs left; with `create_parents`, also the directories above `out_dir` that are
    /// missing (else they must exist).
    pub fn begin(out_dir: &Path, create_parents: bool) -> std::io::Result<Staging> {
        let (Some(parent), Some(name)) = (out_dir.parent(), out_dir.file_name()) else {
            return Err(std::io::Error::other("the output directory has no parent"));
        };
        let parents = if create_parents {
            CreatedParents::create(parent)?
        } else {
            CreatedParents(Vec::new())
        };
        #[cfg(unix)]
        remove_abandoned_staging(out_dir);
        let prefix = format!(
            ".{}{STAGING_INFIX}{}-",
            name.to_string_lossy(),
            std::process::id()
        );
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).rand_bytes(TEMP_RANDOM);
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
            parents,
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
        mut self,
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
        self.parents.0.clear();
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
            .filter(|(_, random)| {
                random.len() == TEMP_RANDOM && random.bytes().all(|b| b.is_ascii_alphanumeric())
            })
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
        if dir.try_lock().is_ok() && holds_only_generated(&path) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// True when everything below `dir` is a directory or a file a staging run writes: generated
/// text, whole or cut short (down to the empty files created ahead). Anything else (a link, a
/// user's file) means the directory is not only the tool's, and it is left alone.
#[cfg(unix)]
fn holds_only_generated(dir: &Path) -> bool {
    use std::io::Read as _;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let header = crate::emit::HEADER_PREFIX.as_bytes();
    let mut start = Vec::with_capacity(header.len());
    entries.into_iter().all(|entry| {
        let Ok(entry) = entry else { return false };
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => holds_only_generated(&entry.path()),
            Ok(kind) if kind.is_file() => {
                start.clear();
                std::fs::File::open(entry.path())
                    .and_then(|f| f.take(header.len() as u64).read_to_end(&mut start))
                    .is_ok_and(|_| header.starts_with(&start))
            }
            _ => false,
        }
    })
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
#[cfg(test)]
mod tests {
    use super::super::apply::Disk;
    use super::super::plan::{EntryKind, existing_files};
    use super::*;
    use crate::emit::HEADER_PREFIX;
    use std::sync::{Arc, Mutex};

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
        let mut names: Vec<String> = (0..machines)
            .map(|i| format!("machines/m{i:04}.nix"))
            .collect();
        names.extend(
            ["instances/a.members.nix", "instances/a.nix", "default.nix"].map(String::from),
        );
        names.sort();
        names
            .into_iter()
            .enumerate()
            .map(|(i, name)| (PathBuf::from(name), format!("{HEADER_PREFIX} {i}\n")))
            .collect()
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
        let abandoned = staging(ended, "a1B2c3");
        let held = staging(ended, "b2C3d4");
        let running = staging(std::process::id(), "c3D4e5");
        let other_output = format!(".elsewhere{STAGING_INFIX}{ended}-d4E5f6");
        let not_ours = "inventory-notes".to_string();
        // The form of a staging directory, but not the tool's: a name of another form, or a
        // user's file inside.
        let other_form = staging(ended, "notes");
        let user_file_inside = staging(ended, "e5F6g7");
        let generated = format!("{HEADER_PREFIX} 1\n");
        let all = [
            &abandoned,
            &held,
            &running,
            &other_output,
            &not_ours,
            &other_form,
            &user_file_inside,
        ];
        for name in all {
            let dir = temp.path().join(name).join("machines");
            std::fs::create_dir_all(&dir).expect("mkdir");
            std::fs::write(dir.join("a.nix"), &generated).expect("write");
            std::fs::write(dir.join("b.nix"), "").expect("write");
            std::fs::write(dir.join("c.nix"), &generated[..10]).expect("write");
        }
        std::fs::write(
            temp.path().join(&user_file_inside).join("notes.txt"),
            "mine",
        )
        .expect("write");
        let lock = std::fs::File::open(temp.path().join(&held)).expect("open");
        lock.lock().expect("lock");
        remove_abandoned_staging(&out);
        let mut left = std::fs::read_dir(temp.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect::<Vec<_>>();
        left.sort();
        let mut expected = vec![
            held,
            running,
            other_output,
            not_ours,
            other_form,
            user_file_inside,
        ];
        expected.sort();
        assert_eq!(left, expected);
    }
}
