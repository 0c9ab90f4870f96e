//! Applying a plan: the order of the writes, the atomic write of each file, and the [`Sink`]
//! seam through which every byte goes (so tests can make writes fail).
//!
//! Guarantees: a file is replaced atomically (a temporary file in the same directory, renamed
//! over it; a new file is written unnamed and then linked under its name), so every file is at
//! all times either its old or its new content (or absent, when new); writes happen in an order
//! that keeps every reference between generated files resolvable if a run stops half-way; the
//! first failure stops the run, and each directory written to is synced once at the end.

use super::io;
use super::plan::{Change, Plan, TEMP_PREFIX, TEMP_RANDOM, TEMP_SUFFIX};
use crate::diagnostics::Diagnostic;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

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
        builder
            .prefix(TEMP_PREFIX)
            .suffix(TEMP_SUFFIX)
            .rand_bytes(TEMP_RANDOM);
        #[cfg(unix)]
        {
            // The mode a new file normally gets (0666 less the umask), not tempfile's 0600.
            use std::os::unix::fs::PermissionsExt as _;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let mut temp = builder.tempfile_in(dir)?;
        temp.write_all(contents.as_bytes())?;
        mark(temp.as_file(), contents);
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
        let mut file = file?;
        file.write_all(contents.as_bytes())?;
        mark(&file, contents);
        Ok(())
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
    mark(&file, contents);
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

/// The extended attribute in which a generated file carries a checksum of the text the tool
/// wrote into it, so that a later run can tell a file edited by hand since (its text no longer
/// matches) from one that is merely out of date, and say which edit it replaces. Best effort:
/// Linux, on file systems that keep user attributes; a file copied, checked out by git or saved
/// by an editor as a new file has none, and is then only "updated".
#[cfg(target_os = "linux")]
const SUM_ATTR: &std::ffi::CStr = c"user.inventory-gen.sum";

/// The checksum a generated file carries: FNV-1a (64 bits) of its text, in hexadecimal. Not a
/// defence against anyone: it only recognises the tool's own text, and must not change between
/// versions (std's hasher may).
fn sum(bytes: &[u8]) -> [u8; 16] {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = [0u8; 16];
    for (i, digit) in out.iter_mut().enumerate() {
        *digit = b"0123456789abcdef"[((hash >> (60 - 4 * i)) & 0xf) as usize];
    }
    out
}

/// Records on `file` the checksum of `contents`, which it was just given ([`SUM_ATTR`]); a file
/// system without user attributes refuses, which changes nothing else.
fn mark(file: &std::fs::File, contents: &str) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd as _;
        let value = sum(contents.as_bytes());
        // SAFETY: the name is NUL-terminated and `value` outlives the call, which copies it.
        unsafe {
            libc::fsetxattr(
                file.as_raw_fd(),
                SUM_ATTR.as_ptr(),
                value.as_ptr().cast(),
                value.len(),
                0,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, contents);
}

/// True when the file at `path`, whose text is now `bytes`, carries the checksum of another
/// text: the tool wrote it, and it was edited since.
pub(super) fn edited_since_written(path: &Path, bytes: &[u8]) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt as _;
        let Ok(name) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
            return false;
        };
        let mut value = [0u8; 16];
        // SAFETY: both names are NUL-terminated; at most `value.len()` bytes are written.
        let read = unsafe {
            libc::lgetxattr(
                name.as_ptr(),
                SUM_ATTR.as_ptr(),
                value.as_mut_ptr().cast(),
                value.len(),
            )
        };
        read == value.len() as isize && value != sum(bytes)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (path, bytes);
        false
    }
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
pub(super) fn write_group(
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

pub(super) fn write_failed(path: &Path, e: &std::io::Error) -> Diagnostic {
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
}
