//! The lock that serialises `generate` runs on one output directory.
//!
//! Atomic renames already keep every file whole, but two runs writing at once could still trip
//! over each other: one removing a file the other is about to replace, or one seeing the
//! other's temporary file. So a run that is going to change something takes an exclusive lock
//! (`flock`) on `<out>/.inventory-gen.lock`, makes its plan again under the lock (the other
//! run may have done the work already), applies it, then deletes the lock file and unlocks.
//! The lock file is created whole with [`LOCK_CONTENTS`] (written under a temporary name, then
//! linked, never replacing anything), so the tool recognises its own lock by its exact form.
//!
//! Guarantees: at most one run writes an output directory at a time; a waiting run gives up
//! with a clear error after a timeout instead of hanging; the lock file never outlives a run
//! that ends normally, and one left by a killed run (the kernel drops its lock) is removed by
//! the next run that writes; the lock file is never followed if it is a link, and `plan` never
//! mistakes it for a foreign file. A file of that name that is not the tool's lock (other
//! contents) is never opened for writing, locked or removed: the run fails naming it. A run
//! with nothing to change takes no lock and writes nothing.

use crate::diagnostics::{Diagnostic, Kind};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The lock file's name, directly in the output directory.
pub const LOCK_FILE: &str = ".inventory-gen.lock";

/// What the lock file holds: how the tool recognises its own lock (one left by a killed run
/// included) and tells it from a user's file of the same name.
pub const LOCK_CONTENTS: &str =
    "inventory-gen: lock of a run writing this directory (removed when it ends)\n";

/// How long `generate` waits for another run before giving up.
pub const WAIT: Duration = Duration::from_secs(60);

/// A held lock; dropping it deletes the lock file, then unlocks.
pub struct Lock {
    path: PathBuf,
    _file: File,
}

fn io(message: String) -> Diagnostic {
    Diagnostic::new(Kind::Io, message)
}

impl Lock {
    /// Locks `out_dir` (creating it), waiting at most `wait` for a run that holds the lock.
    pub fn acquire(out_dir: &Path, wait: Duration) -> Result<Lock, Diagnostic> {
        let path = out_dir.join(LOCK_FILE);
        std::fs::create_dir_all(out_dir)
            .map_err(|e| io(format!("cannot create `{}`: {e}", out_dir.display())))?;
        let cannot = |e: std::io::Error| {
            io(format!(
                "cannot lock the output directory: `{}`: {e}",
                path.display()
            ))
            .with_hint("the output directory must be writable; nothing was written")
        };
        let start = Instant::now();
        loop {
            let file = match std::fs::symlink_metadata(&path) {
                Ok(meta) if !meta.is_file() => {
                    return Err(io(format!(
                        "`{}` is not a regular file; inventory-gen does not write through it",
                        path.display()
                    ))
                    .with_hint("remove it; inventory-gen creates its lock file itself"));
                }
                // The lock of another run, or of a killed one; or a user's file of that name,
                // which is left alone.
                Ok(_) => match open_own(&path).map_err(cannot)? {
                    Some(file) => file,
                    None => continue,
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    match create(out_dir, &path).map_err(cannot)? {
                        Some(file) => file,
                        // Another run created it meanwhile.
                        None => continue,
                    }
                }
                Err(e) => return Err(cannot(e)),
            };
            let file = match file {
                Own::Lock(file) => file,
                Own::Foreign => return Err(foreign(&path)),
            };
            match file.try_lock() {
                // The previous holder deletes the file before unlocking: a lock on a file that
                // is no longer at `path` locks nothing, so open it again.
                Ok(()) if is_at(&file, &path) => return Ok(Lock { path, _file: file }),
                Ok(()) => continue,
                Err(TryLockError::WouldBlock) if start.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(io(format!(
                        "another inventory-gen run has been writing `{}` for {} s",
                        out_dir.display(),
                        wait.as_secs()
                    ))
                    .with_hint(format!(
                        "wait for it to finish; a lock left by a run that was killed is released by the system, so `{LOCK_FILE}` itself is not the problem"
                    )));
                }
                Err(TryLockError::Error(e)) => return Err(cannot(e)),
            }
        }
    }
}

/// What is at the lock file's path.
enum Own {
    Lock(File),
    Foreign,
}

/// The diagnostic for a user's file at the lock file's path.
fn foreign(path: &Path) -> Diagnostic {
    Diagnostic::new(
        Kind::ForeignFile,
        format!("`{}` was not generated by inventory-gen", path.display()),
    )
    .with_hint(format!(
        "inventory-gen keeps its lock in `{LOCK_FILE}` and never modifies or deletes files it did not write; move it out of the output directory"
    ))
}

/// Opens the existing file at `path` if it is the tool's lock; `None` when it vanished
/// meanwhile (its holder finished).
fn open_own(path: &Path) -> std::io::Result<Option<Own>> {
    use std::io::Read as _;
    let mut file = match OpenOptions::new().read(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    // One byte more than the lock holds shows a longer file is not it.
    let mut contents = Vec::new();
    (&mut file)
        .take(LOCK_CONTENTS.len() as u64 + 1)
        .read_to_end(&mut contents)?;
    Ok(Some(if contents == LOCK_CONTENTS.as_bytes() {
        Own::Lock(file)
    } else {
        Own::Foreign
    }))
}

/// Creates the lock file whole: written under a temporary name, then linked at `path`, which
/// fails rather than replace a file that appeared meanwhile (`None`: look again).
fn create(out_dir: &Path, path: &Path) -> std::io::Result<Option<Own>> {
    use std::io::Write as _;
    let mut temp = tempfile::Builder::new()
        .prefix(super::TEMP_PREFIX)
        .suffix(super::TEMP_SUFFIX)
        .rand_bytes(super::plan::TEMP_RANDOM)
        .tempfile_in(out_dir)?;
    temp.write_all(LOCK_CONTENTS.as_bytes())?;
    match temp.persist_noclobber(path) {
        Ok(file) => Ok(Some(Own::Lock(file))),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
        // The temporary file was removed before it was linked: a run holding the lock (its
        // holder a moment ago) took it for a killed run's leftover. Look again.
        Err(e) if e.error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.error),
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Delete while still holding the lock; closing the file then unlocks.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// True when `file` is the file now at `path`.
fn is_at(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (file.metadata(), std::fs::symlink_metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_waits_then_gives_up_and_the_file_goes_with_the_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let first = Lock::acquire(&out, WAIT).expect("first lock");
        assert!(out.join(LOCK_FILE).is_file());
        let second = Lock::acquire(&out, Duration::from_millis(100));
        let e = second.err().expect("second lock must time out");
        assert_eq!(e.kind, Kind::Io);
        assert!(
            e.message.contains("another inventory-gen run"),
            "{}",
            e.message
        );
        drop(first);
        assert!(!out.join(LOCK_FILE).exists());
        let third = Lock::acquire(&out, Duration::from_millis(100)).expect("free again");
        drop(third);
        assert!(!out.join(LOCK_FILE).exists());
    }

    #[test]
    fn a_waiting_run_gets_the_lock_when_the_holder_finishes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().to_path_buf();
        let first = Lock::acquire(&out, WAIT).expect("first lock");
        let waiter = {
            let out = out.clone();
            std::thread::spawn(move || Lock::acquire(&out, WAIT).map(|_| ()))
        };
        std::thread::sleep(Duration::from_millis(100));
        drop(first);
        waiter.join().expect("thread").expect("lock after release");
        assert!(!out.join(LOCK_FILE).exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_in_place_of_the_lock_file_is_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = dir.path().join("outside");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        std::os::unix::fs::symlink(&outside, out.join(LOCK_FILE)).expect("symlink");
        let e = Lock::acquire(&out, WAIT).err().expect("refused");
        assert!(e.message.contains("not a regular file"), "{}", e.message);
        assert!(!outside.exists());
    }

    #[test]
    fn a_users_file_named_like_the_lock_is_neither_locked_nor_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().to_path_buf();
        for contents in ["my lock\n", "", &LOCK_CONTENTS[..10]] {
            std::fs::write(out.join(LOCK_FILE), contents).expect("write");
            let e = Lock::acquire(&out, WAIT).err().expect("refused");
            assert_eq!(e.kind, Kind::ForeignFile);
            assert!(e.message.contains(LOCK_FILE), "{}", e.message);
            assert_eq!(
                std::fs::read_to_string(out.join(LOCK_FILE)).expect("still there"),
                contents
            );
        }
        // The lock a killed run left is the tool's: taken, then removed with the lock.
        std::fs::write(out.join(LOCK_FILE), LOCK_CONTENTS).expect("write");
        drop(Lock::acquire(&out, WAIT).expect("taken"));
        assert!(!out.join(LOCK_FILE).exists());
        // Nothing else is left behind: no temporary file of the lock's creation.
        assert_eq!(std::fs::read_dir(&out).expect("list").count(), 0);
    }
}
