//! Every generated file of every fixture and template parses as Nix (`nix-instantiate --parse`).
//!
//! The fixture tests prove that the committed `generated/` directories are exactly what the tool
//! writes today, so parsing them checks the tool's output for every fixture flake: a spliced
//! expression that is not closed, or text that escapes a string or comment, shows up here.

mod common;

use common::{nix_instantiate, repo_root};
use std::path::{Path, PathBuf};

fn generated_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if path.file_name().is_some_and(|n| n == "generated") {
                out.push(path);
            } else {
                generated_dirs(&path, out);
            }
        }
    }
}

fn nix_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            nix_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "nix") {
            out.push(path);
        }
    }
}

#[test]
fn every_generated_file_parses() {
    let root = repo_root();
    let mut dirs = Vec::new();
    generated_dirs(&root.join("tests"), &mut dirs);
    generated_dirs(&root.join("templates"), &mut dirs);
    dirs.sort();
    let mut files = Vec::new();
    for dir in &dirs {
        nix_files(dir, &mut files);
    }
    assert!(
        files.len() > 50,
        "found only {} generated files",
        files.len()
    );
    let mut failures = Vec::new();
    for chunk in files.chunks(64) {
        let args: Vec<String> = std::iter::once("--parse".to_string())
            .chain(chunk.iter().map(|f| f.display().to_string()))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        if nix_instantiate(&root, &args).ok {
            continue;
        }
        for file in chunk {
            let out = nix_instantiate(&root, &["--parse", &file.display().to_string()]);
            if !out.ok {
                failures.push(format!("{}: {}", file.display(), out.stderr.trim()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
