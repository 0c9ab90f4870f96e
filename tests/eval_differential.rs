//! Differential test of `inventory-gen eval` against real Nix.
//!
//! Every directory `tests/eval/<fixture>/` is a small flake (`flake.nix` and the files it reads)
//! plus `oracle.nix`: a Nix expression that imports the fixture's own `flake.nix`, calls its
//! `outputs` with the stand-in inputs of `tests/eval/mock.nix`, and gives the inventory as real
//! Nix evaluates it. Where definitions from several places merge (imported clan modules,
//! `inventory.json`, `machines/<name>/` directories, `meta`, flake-parts modules), the oracle
//! merges them with the real module system (`lib.evalModules` of `<nixpkgs/lib>`), so nothing
//! expected is written by hand. Such fixtures hold a `needs-lib` file and are skipped, with a
//! SKIP line, when `<nixpkgs/lib>` is not on `NIX_PATH`.
//!
//! For each fixture, `inventory-gen eval --flake <fixture>` must print JSON equal to
//! `nix-instantiate --eval --strict --json oracle.nix` run in the fixture directory. All
//! mismatches are collected and reported together, each with both values.
//!
//! Numbers: Nix 2.8 prints floats with 6 significant digits (`%g`: `123456789.123` prints as
//! `1.23457e+08`, `1.0` as `1`, `1.0e10` as `1e+10`), so a float is compared numerically with a
//! relative tolerance of `FLOAT_REL_TOLERANCE` (6 significant digits are off by at most 5e-6).
//! The tolerance applies ONLY to floats: where the oracle printed a float (a point or an exponent),
//! or where it printed an integer-looking number below 10^6 and `inventory-gen` printed a float
//! (`%g` prints the float `1.0` as `1` and `123456.7` as `123457`). An integer-looking oracle
//! number of 10^6 or more is a real integer (`%g` would have used an exponent): a float from
//! `inventory-gen` must then be integral, below 2^53 and exactly equal. Two integers must be equal
//! exactly, so the i64 edges are checked bit for bit.
//!
//! List order where definitions from several files concatenate (the `needs-lib` fixtures) is the
//! module system's traversal order: breadth-first, reversed at every submodule level, so it
//! depends on how deep clan-core's schema nests the list. clan-core documents that order as no
//! contract, and the lists concerned (tags, `inventory.tags.<t>`, `extraModules`) are sets to
//! clan (`unique`) or imports (order-free). In those fixtures a list that differs only in order
//! is accepted: same elements, same multiplicities. Everywhere else order must match exactly.

mod common;

use assert_cmd::Command;
use common::{have_nixpkgs_lib, nix_instantiate, repo_root, require_nix};
use serde_json::Value;
use std::fs;
use std::path::PathBuf;

/// Fewest fixtures the corpus must hold.
const MIN_FIXTURES: usize = 35;

/// Relative tolerance for floats (Nix 2.8 prints 6 significant digits).
const FLOAT_REL_TOLERANCE: f64 = 1e-5;

/// Fixture directories: every `tests/eval/*/` that has an `oracle.nix`, sorted by name.
fn fixtures() -> Vec<PathBuf> {
    let root = repo_root().join("tests/eval");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("read {}: {e}", root.display()))
        .map(|entry| entry.expect("read tests/eval entry").path())
        .filter(|path| path.is_dir() && path.join("oracle.nix").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn name_of(dir: &std::path::Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// Compares two numbers; see the module documentation for the rules.
fn numbers_match(oracle: &serde_json::Number, actual: &serde_json::Number) -> bool {
    let oracle_is_int = oracle.is_i64() || oracle.is_u64();
    let actual_is_int = actual.is_i64() || actual.is_u64();
    if oracle_is_int && actual_is_int {
        return oracle == actual;
    }
    if oracle_is_int {
        // An integer-looking oracle number may be a float that `%g` printed without a point or an
        // exponent (`1.0` prints as `1`, `123456.7` as `123457`); that happens only below 10^6,
        // where a float of `inventory-gen` is compared with the tolerance. Above, the oracle
        // number is a real integer: only an integral float of exactly that value matches.
        const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
        let o = oracle
            .as_i64()
            .map(i128::from)
            .or_else(|| oracle.as_u64().map(i128::from));
        return match (o, actual.as_f64()) {
            (Some(o), Some(a)) if o.abs() < 1_000_000 => {
                let o = o as f64;
                o == a || (o - a).abs() <= FLOAT_REL_TOLERANCE * o.abs().max(a.abs())
            }
            (Some(o), Some(a)) => a.fract() == 0.0 && a.abs() <= EXACT && a as i128 == o,
            _ => false,
        };
    }
    let (Some(o), Some(a)) = (oracle.as_f64(), actual.as_f64()) else {
        return false;
    };
    if o == a {
        return true;
    }
    let scale = o.abs().max(a.abs());
    (o - a).abs() <= FLOAT_REL_TOLERANCE * scale
}

/// Collects every difference between `oracle` and `actual` below the JSON path `path`.
fn compare(path: &str, oracle: &Value, actual: &Value, merged: bool, diffs: &mut Vec<String>) {
    match (oracle, actual) {
        (Value::Object(o), Value::Object(a)) => {
            for (key, ov) in o {
                let sub = format!("{path}.{}", serde_json::to_string(key).unwrap_or_default());
                match a.get(key) {
                    Some(av) => compare(&sub, ov, av, merged, diffs),
                    None => diffs.push(format!("{sub}: missing (Nix has {ov})")),
                }
            }
            for (key, av) in a {
                if !o.contains_key(key) {
                    let sub = format!("{path}.{}", serde_json::to_string(key).unwrap_or_default());
                    diffs.push(format!("{sub}: unexpected (Nix has no such key; got {av})"));
                }
            }
        }
        (Value::Array(o), Value::Array(a)) => {
            if o.len() != a.len() {
                diffs.push(format!(
                    "{path}: list of {} elements, Nix has {}: got {actual}, Nix has {oracle}",
                    a.len(),
                    o.len()
                ));
                return;
            }
            if merged && oracle != actual && same_multiset(o, a) {
                return;
            }
            for (i, (ov, av)) in o.iter().zip(a).enumerate() {
                compare(&format!("{path}[{i}]"), ov, av, merged, diffs);
            }
        }
        (Value::Number(o), Value::Number(a)) => {
            if !numbers_match(o, a) {
                diffs.push(format!("{path}: got {a}, Nix has {o}"));
            }
        }
        _ => {
            if oracle != actual {
                diffs.push(format!("{path}: got {actual}, Nix has {oracle}"));
            }
        }
    }
}

/// The same elements with the same multiplicities, in any order.
fn same_multiset(a: &[Value], b: &[Value]) -> bool {
    let key = |v: &Value| serde_json::to_string(v).unwrap_or_default();
    let mut x: Vec<String> = a.iter().map(key).collect();
    let mut y: Vec<String> = b.iter().map(key).collect();
    x.sort();
    y.sort();
    x == y
}

#[test]
fn eval_matches_nix_on_every_fixture() {
    require_nix();
    let dirs = fixtures();
    assert!(
        dirs.len() >= MIN_FIXTURES,
        "tests/eval holds {} fixtures, expected at least {MIN_FIXTURES}",
        dirs.len()
    );

    let lib_available = have_nixpkgs_lib("eval_matches_nix_on_every_fixture (needs-lib fixtures)");
    let mut failures: Vec<String> = Vec::new();
    let mut checked = 0usize;
    let mut skipped = 0usize;

    for dir in &dirs {
        let name = name_of(dir);
        if dir.join("needs-lib").exists() && !lib_available {
            eprintln!("SKIP eval fixture {name}: its oracle needs <nixpkgs/lib> on NIX_PATH");
            skipped += 1;
            continue;
        }
        // Nix resolves path literals against the physical directory: give the tool the same.
        let dir = dir
            .canonicalize()
            .unwrap_or_else(|e| panic!("canonicalize {}: {e}", dir.display()));

        let oracle = nix_instantiate(&dir, &["--eval", "--strict", "--json", "oracle.nix"]);
        if !oracle.ok {
            failures.push(format!(
                "{name}: the oracle failed (fix tests/eval/{name}/oracle.nix):\n{}",
                oracle.stderr.trim_end()
            ));
            continue;
        }
        let expected: Value = match serde_json::from_str(&oracle.stdout) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!(
                    "{name}: the oracle printed invalid JSON ({e}):\n{}",
                    oracle.stdout
                ));
                continue;
            }
        };

        let output = Command::cargo_bin("inventory-gen")
            .expect("inventory-gen binary")
            .arg("eval")
            .arg("--flake")
            .arg(&dir)
            .output()
            .expect("run inventory-gen eval");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            failures.push(format!(
                "{name}: `inventory-gen eval` exited with {}\n  stderr: {}\n  Nix has: {}",
                output.status,
                stderr.trim_end(),
                pretty(&expected)
            ));
            continue;
        }
        let actual: Value = match serde_json::from_str(&stdout) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!(
                    "{name}: `inventory-gen eval` printed invalid JSON ({e}):\n{stdout}\n  Nix has: {}",
                    pretty(&expected)
                ));
                continue;
            }
        };

        checked += 1;
        let mut diffs = Vec::new();
        let merged = dir.join("needs-lib").exists();
        compare("$", &expected, &actual, merged, &mut diffs);
        if !diffs.is_empty() {
            failures.push(format!(
                "{name}: {} difference(s)\n  - {}\n  inventory-gen eval: {}\n  Nix: {}",
                diffs.len(),
                diffs.join("\n  - "),
                pretty(&actual),
                pretty(&expected)
            ));
        }
    }

    eprintln!(
        "eval differential: {checked} fixture(s) compared, {skipped} skipped, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} eval fixture(s) differ from real Nix:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}

#[test]
fn float_tolerance_is_only_for_floats() {
    let num = |s: &str| -> serde_json::Number { serde_json::from_str(s).expect("number") };
    // What Nix 2.8 prints for floats, against full-precision values.
    assert!(numbers_match(&num("1.23457e+08"), &num("123456789.123")));
    assert!(numbers_match(&num("0.1"), &num("0.1")));
    assert!(numbers_match(&num("1e+10"), &num("10000000000.0")));
    assert!(numbers_match(&num("3.14159"), &num("3.14159265358979")));
    assert!(numbers_match(
        &num("1.79769e+308"),
        &num("1.7976931348623157e308")
    ));
    assert!(numbers_match(&num("-0"), &num("-0.0")));
    // Nix prints the float 1.0 as `1`.
    assert!(numbers_match(&num("1"), &num("1.0")));
    assert!(numbers_match(&num("0"), &num("0.0")));
    assert!(numbers_match(&num("123457"), &num("123456.7")));
    assert!(!numbers_match(&num("123457"), &num("123450.0")));
    assert!(!numbers_match(&num("1000000"), &num("1000000.5")));
    // Floats that are really different.
    assert!(!numbers_match(&num("1.23457e+08"), &num("123460000.0")));
    assert!(!numbers_match(&num("0.1"), &num("0.2")));
    // Integers are exact.
    assert!(numbers_match(
        &num("9223372036854775807"),
        &num("9223372036854775807")
    ));
    assert!(!numbers_match(
        &num("9223372036854775807"),
        &num("9223372036854775806")
    ));
    assert!(!numbers_match(
        &num("9223372036854775807"),
        &num("9.223372036854776e18")
    ));
    assert!(!numbers_match(
        &num("9007199254740993"),
        &num("9007199254740992.0")
    ));
    // Nix prints the float 1.000001 as `1` too, but not 1.0001.
    assert!(numbers_match(&num("1"), &num("1.000001")));
    assert!(!numbers_match(&num("1"), &num("1.0001")));
}
