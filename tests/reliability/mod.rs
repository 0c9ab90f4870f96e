//! Helpers shared by the reliability tests (`bad_inputs.rs`, `faults.rs`, `properties.rs`):
//! exact snapshots of a directory tree (links and special files included, never followed),
//! running the pipeline in-process on a large stack with panics caught, and running the binary.
#![allow(dead_code)]

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One entry of a directory tree, as it is on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    File(Vec<u8>),
    Dir,
    Link(PathBuf),
    /// A pipe, socket or device (never opened).
    Special,
}

/// Every entry below `dir` (relative path → what it is); links are recorded, not followed.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Node> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(dir).expect("below").to_path_buf();
            let kind = entry.file_type().expect("file type");
            let node = if kind.is_symlink() {
                Node::Link(std::fs::read_link(&path).expect("read link"))
            } else if kind.is_dir() {
                stack.push(path.clone());
                Node::Dir
            } else if kind.is_file() {
                Node::File(std::fs::read(&path).expect("read"))
            } else {
                Node::Special
            };
            out.insert(relative, node);
        }
    }
    out
}

/// The files of a snapshot as text (for messages and reference checks).
pub fn texts(snapshot: &BTreeMap<PathBuf, Node>) -> BTreeMap<PathBuf, String> {
    snapshot
        .iter()
        .filter_map(|(p, n)| match n {
            Node::File(b) => Some((p.clone(), String::from_utf8_lossy(b).into_owned())),
            _ => None,
        })
        .collect()
}

/// Names the entries that differ between two snapshots.
pub fn differences(a: &BTreeMap<PathBuf, Node>, b: &BTreeMap<PathBuf, Node>) -> Vec<String> {
    let mut out = Vec::new();
    for (p, n) in a {
        match b.get(p) {
            None => out.push(format!("{} disappeared", p.display())),
            Some(m) if m != n => out.push(format!("{} changed", p.display())),
            _ => {}
        }
    }
    for p in b.keys() {
        if !a.contains_key(p) {
            out.push(format!("{} appeared", p.display()));
        }
    }
    out
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for (relative, node) in snapshot(from) {
        let target = to.join(&relative);
        match node {
            Node::Dir => std::fs::create_dir_all(&target).expect("mkdir"),
            Node::File(bytes) => {
                std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
                std::fs::write(&target, bytes).expect("write");
            }
            Node::Link(link) => {
                std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
                std::os::unix::fs::symlink(link, &target).expect("symlink");
            }
            Node::Special => {}
        }
    }
}

/// Writes `files` (relative path → text) below `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (relative, text) in files {
        let path = dir.join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
}

pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("inventory-gen").expect("binary");
    cmd.env("NO_COLOR", "1");
    // These cases are about the static reader: no island is left to Nix (tests/islands.rs).
    cmd.env("INVENTORY_GEN_NO_NIX", "1");
    cmd
}

/// What one in-process run gave.
#[derive(Debug)]
pub struct Run {
    pub code: u8,
    pub stdout: String,
    /// `(code, message)` of every diagnostic.
    pub diagnostics: Vec<(&'static str, String)>,
    /// The diagnostics as the binary prints them (human form, no colour).
    pub rendered: String,
}

impl Run {
    pub fn has(&self, code: &str, fragment: &str) -> bool {
        self.diagnostics
            .iter()
            .any(|(c, m)| *c == code && m.contains(fragment))
    }
}

/// Runs `inventory-gen <args>` in this process, the way the binary does (on a large stack).
/// A panic is returned as `Err(message)`.
pub fn run_in_process(args: &[&str]) -> Result<Run, String> {
    use clap::Parser as _;
    let mut argv = vec!["inventory-gen".to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            let cli = inventory_gen::cli::Cli::try_parse_from(argv).expect("valid arguments");
            let outcome = inventory_gen::cli::execute(&cli);
            let rendered = inventory_gen::diagnostics::render_human(
                &outcome.sources,
                &outcome.diagnostics,
                false,
            );
            let failing = outcome.diagnostics.iter().any(|d| d.is_error());
            let io = outcome.diagnostics.iter().any(|d| {
                matches!(
                    d.kind,
                    inventory_gen::diagnostics::Kind::Io | inventory_gen::diagnostics::Kind::Usage
                )
            });
            let code = if io {
                2
            } else if failing {
                1
            } else {
                outcome.code.unwrap_or(0)
            };
            Run {
                code,
                stdout: outcome.stdout,
                diagnostics: outcome
                    .diagnostics
                    .iter()
                    .map(|d| (d.kind.code(), d.message.clone()))
                    .collect(),
                rendered,
            }
        })
        .expect("spawn");
    handle.join().map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into())
    })
}

/// `nix-instantiate --eval --strict --json -E expr` in `dir`.
pub fn nix_eval_json(dir: &Path, expr: &str) -> Result<serde_json::Value, String> {
    let out = std::process::Command::new("nix-instantiate")
        .current_dir(dir)
        .args(["--eval", "--strict", "--json", "-E", expr])
        .output()
        .map_err(|e| format!("cannot run nix-instantiate: {e} (see .ci/run)"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

/// The references between generated files that must resolve: the index's
/// `import ./machines/<m>.nix` and each stub's `file = ../instances/<i>.nix`.
pub fn dangling_references(out: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let files = texts(&snapshot(out));
    for (path, text) in &files {
        for line in text.lines() {
            let line = line.trim();
            // `import ./x` is relative to the importing file's directory.
            let target = match line.split("import ./").nth(1) {
                Some(rest) => rest
                    .split(' ')
                    .next()
                    .map(|r| path.parent().unwrap_or(Path::new("")).join(r)),
                None => line
                    .strip_prefix("file = ../")
                    .map(|rest| PathBuf::from(rest.trim_end_matches(';'))),
            };
            // Paths leading out of the output directory name the flake's own files.
            if let Some(target) = target
                && !target.starts_with("..")
                && !files.contains_key(&target)
            {
                missing.push(format!(
                    "{} names {}, which is missing",
                    path.display(),
                    target.display()
                ));
            }
        }
    }
    missing
}
