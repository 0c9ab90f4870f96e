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

/// Differential check of single Nix expressions: each case's expression is evaluated strictly
/// to JSON by `inventory_gen::read::eval::eval_expression_json` and by `nix-instantiate --eval
/// --strict --json`, in `dir` (where a case may read files). With `with_lib`, `lib` is nixpkgs'
/// `lib` (`import <nixpkgs/lib>` for Nix; the reader's own for inventory-gen). Both must succeed
/// with equal values (floats to 6 significant digits, as Nix 2.8 prints them), or both fail.
/// Returns one line per mismatch; the caller asserts that there is none.
pub fn differential(dir: &Path, cases: &[(&str, &str)], with_lib: bool) -> Vec<String> {
    require_nix();
    let wrap = |expr: &str| {
        if with_lib {
            format!("let lib = import <nixpkgs/lib>; in ({expr}\n)")
        } else {
            format!("({expr}\n)")
        }
    };
    // All cases at once first: one Nix call when every case succeeds in Nix.
    let mut batch = String::from("{\n");
    for (i, (_, expr)) in cases.iter().enumerate() {
        batch.push_str(&format!("c{i} = {};\n", wrap(expr)));
    }
    batch.push('}');
    let together = nix_eval_json(dir, &batch);
    let mut mismatches = Vec::new();
    for (i, (name, expr)) in cases.iter().enumerate() {
        let want = match &together {
            Ok(serde_json::Value::Object(all)) => Ok(all[&format!("c{i}")].clone()),
            _ => nix_eval_json(dir, &wrap(expr)),
        };
        let names: &[&str] = if with_lib { &["lib"] } else { &[] };
        let got = inventory_gen::read::eval::eval_expression_json(dir, expr, names)
            .map_err(|d| d.message);
        match (&want, &got) {
            (Ok(w), Ok(g)) if json_equal(w, g) => {}
            (Err(_), Err(_)) => {}
            _ => mismatches.push(format!(
                "{name}: `{expr}`\n    nix:           {}\n    inventory-gen: {}",
                show(&want),
                show(&got)
            )),
        }
    }
    mismatches
}

fn show(r: &Result<serde_json::Value, String>) -> String {
    match r {
        Ok(v) => v.to_string(),
        Err(e) => format!("error: {}", e.lines().next().unwrap_or("")),
    }
}

/// JSON equality where floats agree to the 6 significant digits Nix 2.8 prints.
pub fn json_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                let (x, y) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                x == y || ((x - y).abs() <= 5e-6 * x.abs().max(y.abs()))
            } else {
                x == y
            }
        }
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Asserts that every case of [`differential`] agrees with Nix, listing those that do not.
pub fn assert_same_as_nix(dir: &Path, cases: &[(&str, &str)], with_lib: bool) {
    let mismatches = differential(dir, cases, with_lib);
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ from Nix{}:\n{}",
        mismatches.len(),
        cases.len(),
        if with_lib { " and nixpkgs' lib" } else { "" },
        mismatches.join("\n")
    );
}
