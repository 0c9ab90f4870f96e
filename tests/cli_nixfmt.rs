//! The generated files are what `nixfmt` (RFC 166 style) prints, so a repository formatted with
//! it does not make `inventory-gen check` report them stale: every generated `.nix` file of the
//! template and of the test cases goes through `nixfmt` (read from stdin, printed on stdout) and
//! must come back unchanged. `nixfmt` is not packaged where this project is built (no crate,
//! Debian package or PyPI package ships it), so the test prints SKIP without it; the docs say to
//! exclude `generated/` from formatters (docs/generated-files.md), and the template does.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn nix_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            nix_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "nix") {
            out.push(path);
        }
    }
}

fn nixfmt(text: &str) -> Result<String, String> {
    let mut child = Command::new("nixfmt")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn generated_files_are_nixfmt_clean() {
    if nixfmt("{ }\n").is_err() {
        eprintln!("SKIP generated_files_are_nixfmt_clean: `nixfmt` is not on PATH");
        return;
    }
    let root = common::repo_root();
    let mut files = Vec::new();
    nix_files(&root.join("templates/default/generated"), &mut files);
    for case in std::fs::read_dir(root.join("tests/cases"))
        .expect("cases")
        .flatten()
    {
        nix_files(&case.path().join("generated"), &mut files);
    }
    assert!(!files.is_empty(), "no generated files found");
    let mut differing = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        match nixfmt(&text) {
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => differing.push(format!(
                "{}:\n{}",
                file.display(),
                similar::TextDiff::from_lines(&text, &formatted)
                    .unified_diff()
                    .header("generated", "nixfmt")
            )),
            Err(e) => differing.push(format!("{}: nixfmt failed: {e}", file.display())),
        }
    }
    assert!(
        differing.is_empty(),
        "{} of {} generated files differ from nixfmt's output:\n{}",
        differing.len(),
        files.len(),
        differing.join("\n")
    );
}

/// The template keeps formatters away from what the tool writes.
#[test]
fn template_excludes_generated_from_treefmt() {
    let root = common::repo_root();
    let toml = std::fs::read_to_string(root.join("templates/default/treefmt.toml"))
        .expect("templates/default/treefmt.toml");
    let excludes = toml
        .lines()
        .find_map(|l| l.trim().strip_prefix("excludes = "))
        .expect("[global] excludes");
    assert!(excludes.contains("\"generated/**\""), "{excludes}");
}
