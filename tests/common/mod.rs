//! Shared helpers for the integration tests: locating real Nix and nixpkgs' `lib`.
//!
//! Tests that need `nix-instantiate` fail loudly when it is missing (CI installs it); tests that
//! need `<nixpkgs/lib>` print a clear SKIP line when it is not on `NIX_PATH`, because no package
//! registry ships it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Path of the repository root (where Cargo.toml lives).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `nix-instantiate` must be installed for the differential tests; `.ci/run` installs it.
pub fn require_nix() {
    let ok = Command::new("nix-instantiate")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "nix-instantiate is not installed: run `apt-get install -y nix-bin` (see .ci/run)"
    );
}

/// True when `<nixpkgs/lib>` resolves; otherwise prints why the calling test is skipped.
pub fn have_nixpkgs_lib(test: &str) -> bool {
    require_nix();
    let found = Command::new("nix-instantiate")
        .args(["--find-file", "nixpkgs/lib"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        eprintln!(
            "SKIP {test}: <nixpkgs/lib> is not on NIX_PATH (point NIX_PATH at a nixpkgs or nixpkgs.lib checkout)"
        );
    }
    found
}

/// Output of one `nix-instantiate` run.
pub struct NixOutput {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `nix-instantiate` with `args` in `dir`, in read-only mode where possible.
pub fn nix_instantiate(dir: &Path, args: &[&str]) -> NixOutput {
    require_nix();
    let out = Command::new("nix-instantiate")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run nix-instantiate");
    NixOutput {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `nix-instantiate --eval --strict --json -E expr` in `dir`, parsed as JSON.
pub fn nix_eval_json(dir: &Path, expr: &str) -> Result<serde_json::Value, String> {
    let out = nix_instantiate(dir, &["--eval", "--strict", "--json", "-E", expr]);
    if !out.ok {
        return Err(out.stderr);
    }
    serde_json::from_str(&out.stdout).map_err(|e| format!("{e}: {}", out.stdout))
}
