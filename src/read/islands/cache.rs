//! The cache of island results, by content: the key hashes everything an island's value can
//! depend on — its program (the island's text and the values bound into it, paths written
//! absolute), `NIX_PATH` when it reads `<nixpkgs/lib>`, `flake.lock` and the locked inputs it
//! reads (with the files of `path:` inputs), every file or directory it names by path, and all
//! of the flake's files when it reads `self` (the output directory `generated/inventory` and
//! `.git` excepted: Nix's `self` of a `path:` flake is its files). Nothing else — a change that
//! does not reach an island's inputs leaves its entry valid, and each island has its own entry.
//!
//! Entries live in `$XDG_CACHE_HOME/inventory-gen/islands` (or `~/.cache/inventory-gen/…`), one
//! file per key holding Nix's JSON; they are written whole (to a temporary file, then renamed),
//! so a reader never sees half an entry. Failures are not cached.

use super::serialise::Uses;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Bumped when the program an island becomes changes meaning.
const FORMAT: &str = "inventory-gen island cache 1";

/// The user's cache directory for inventory-gen, if there is one.
pub fn default_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("inventory-gen"))
}

/// A 128-bit FNV-1a hash: stable across runs, builds and platforms (unlike std's hasher).
pub struct Hasher(u128);

impl Hasher {
    pub fn new() -> Hasher {
        Hasher(0x6c62272e07bb014262b821756295c58d)
    }

    pub fn bytes(&mut self, bytes: &[u8]) {
        // Length first, so that consecutive fields cannot run into each other.
        for b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 ^= u128::from(*b);
            self.0 = self.0.wrapping_mul(0x0000000001000000000000000000013B);
        }
    }

    pub fn hex(&self) -> String {
        format!("{:032x}", self.0)
    }
}

/// The key of an island: its program and everything it may read.
pub fn key(program: &str, uses: &Uses, root: &Path) -> String {
    let mut h = Hasher::new();
    h.bytes(FORMAT.as_bytes());
    h.bytes(program.as_bytes());
    if uses.nix_path {
        h.bytes(std::env::var("NIX_PATH").unwrap_or_default().as_bytes());
    }
    if uses.flake {
        let lock = std::fs::read(root.join("flake.lock")).unwrap_or_default();
        h.bytes(&lock);
        let lock: serde_json::Value = serde_json::from_slice(&lock).unwrap_or_default();
        for input in &uses.inputs {
            h.bytes(input.as_bytes());
            if let Some(path) = locked_path(&lock, input) {
                tree(&mut h, &root.join(path), root, 0);
            }
        }
        // The flake's own files are `self`. (Inputs are what flake.lock locks: an input
        // whose url changed in flake.nix without a new lock is read as the lock says.)
        if uses.whole_flake {
            tree(&mut h, root, root, 0);
        }
    }
    for path in &uses.paths {
        h.bytes(path.as_os_str().as_encoded_bytes());
        tree(&mut h, path, root, 0);
    }
    h.hex()
}

/// The path of a `path:` input as flake.lock locks it (relative to the flake, or absolute).
fn locked_path(lock: &serde_json::Value, input: &str) -> Option<String> {
    let root = lock.get("root")?.as_str()?;
    let node = lock
        .get("nodes")?
        .get(root)?
        .get("inputs")?
        .get(input)?
        .as_str()?;
    let locked = lock.get("nodes")?.get(node)?.get("locked")?;
    (locked.get("type")?.as_str()? == "path")
        .then(|| locked.get("path")?.as_str().map(str::to_string))
        .flatten()
}

/// Hashes a file's contents, or the names and contents of the files below a directory (an
/// empty directory counts for nothing, so creating the output directory changes no key).
fn tree(h: &mut Hasher, path: &Path, root: &Path, depth: usize) {
    if depth > 64 {
        return;
    }
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        h.bytes(b"missing");
        return;
    };
    if meta.file_type().is_symlink() {
        h.bytes(path.as_os_str().as_encoded_bytes());
        h.bytes(b"link");
        if let Ok(target) = std::fs::read_link(path) {
            h.bytes(target.as_os_str().as_encoded_bytes());
        }
    } else if meta.is_file() {
        h.bytes(path.as_os_str().as_encoded_bytes());
        h.bytes(b"file");
        h.bytes(&std::fs::read(path).unwrap_or_default());
    } else if meta.is_dir() {
        let Ok(read) = std::fs::read_dir(path) else {
            return;
        };
        let mut names: Vec<_> = read.filter_map(Result::ok).map(|e| e.file_name()).collect();
        names.sort();
        for name in names {
            let child = path.join(&name);
            if name == ".git" || child == root.join("generated").join("inventory") {
                continue;
            }
            tree(h, &child, root, depth + 1);
        }
    }
}

/// Builtins whose value depends on more than their arguments (the environment, the clock, the
/// network): an island that names one is evaluated every time, never cached.
const IMPURE: [&str; 9] = [
    "getEnv",
    "currentTime",
    "currentSystem",
    "fetchurl",
    "fetchTarball",
    "fetchGit",
    "fetchTree",
    "fetchMercurial",
    "exec",
];

/// Whether a result of `program` may be cached.
pub fn cacheable(program: &str) -> bool {
    !IMPURE.iter().any(|name| program.contains(name))
}

/// The cached result for `key`, if any.
pub fn load(dir: &Path, key: &str) -> Option<String> {
    std::fs::read_to_string(dir.join("islands").join(format!("{key}.json"))).ok()
}

/// Stores a result; a cache that cannot be written is only slower, never an error.
pub fn store(dir: &Path, key: &str, json: &str) {
    let dir = dir.join("islands");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let Ok(mut tmp) = tempfile::NamedTempFile::new_in(&dir) else {
        return;
    };
    if tmp.write_all(json.as_bytes()).is_ok() {
        let _ = tmp.persist(dir.join(format!("{key}.json")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_change_with_what_an_island_reads_and_only_that() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::write(root.join("flake.nix"), "{ }").expect("write");
        std::fs::create_dir(root.join("x")).expect("mkdir");
        std::fs::write(root.join("x/flake.nix"), "{ a }").expect("write");
        std::fs::write(root.join("other.nix"), "1").expect("write");
        std::fs::write(
            root.join("flake.lock"),
            r#"{"nodes":{"root":{"inputs":{"x":"x"}},"x":{"locked":{"path":"./x","type":"path"}}},"root":"root","version":7}"#,
        )
        .expect("write");
        let mut uses = Uses {
            flake: true,
            ..Uses::default()
        };
        uses.inputs.insert("x".into());
        let first = key("p", &uses, root);
        assert_eq!(first, key("p", &uses, root));
        assert_ne!(first, key("q", &uses, root));
        std::fs::write(root.join("other.nix"), "2").expect("write");
        assert_eq!(
            first,
            key("p", &uses, root),
            "a file the island does not read"
        );
        std::fs::write(root.join("x/flake.nix"), "{ b }").expect("write");
        let second = key("p", &uses, root);
        assert_ne!(first, second, "the input's files");
        uses.whole_flake = true;
        let whole = key("p", &uses, root);
        std::fs::create_dir_all(root.join("generated/inventory")).expect("mkdir");
        std::fs::write(root.join("generated/inventory/a.nix"), "x").expect("write");
        assert_eq!(whole, key("p", &uses, root), "the output directory");
        std::fs::write(root.join("other.nix"), "3").expect("write");
        assert_ne!(whole, key("p", &uses, root), "self is every file");
    }
}
