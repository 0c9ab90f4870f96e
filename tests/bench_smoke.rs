//! Smoke run of the benchmark (`benches/bench.py`) at its smallest size, as a test: a synthetic
//! fleet of 100 machines and 5 instances is generated, then `inventory-gen generate` runs twice.
//! The first run must create every file; the second must report no change and leave every file
//! exactly where it was (same inode, same mtime); `check` must then say it is up to date.
//! There are no timing asserts: timings are for `python3 benches/bench.py run` and BENCHMARKS.md.

mod common;

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// (inode, mtime in ns, size) of every file below `dir`, by path.
fn snapshot(dir: &Path) -> BTreeMap<String, (u64, i128, u64)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("list the output") {
            let path = entry.expect("entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("stat");
            if meta.is_dir() {
                stack.push(path);
            } else {
                let mtime = meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128;
                out.insert(path.display().to_string(), (meta.ino(), mtime, meta.size()));
            }
        }
    }
    out
}

fn run(flake: &Path, command: &str) -> String {
    let out = Command::cargo_bin("inventory-gen")
        .expect("binary")
        .env("NO_COLOR", "1")
        .args(["--flake", &flake.display().to_string(), command])
        .output()
        .expect("run inventory-gen");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "inventory-gen {command} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn smallest_benchmark_completes_and_a_second_run_writes_nothing() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let flake = tmp.path().join("fleet");
    let generated = std::process::Command::new("python3")
        .arg(common::repo_root().join("benches/bench.py"))
        .args(["gen", "--machines", "100", "--instances", "5"])
        .arg(&flake)
        .status()
        .expect("python3 runs benches/bench.py (.ci/run installs python3)");
    assert!(generated.success(), "benches/bench.py gen failed");

    let first = run(&flake, "generate");
    let out = flake.join("generated/inventory");
    let before = snapshot(&out);
    // runtime.nix, default.nix, the 100 machine stubs and the instance files, all new.
    let count = before.len();
    assert!(count > 100, "{first}");
    assert!(
        first.contains(&format!(
            "generated/inventory: {count} changed, 0 unchanged"
        )),
        "{first}"
    );

    let second = run(&flake, "generate");
    assert_eq!(
        second,
        format!("generated/inventory: 0 changed, {count} unchanged\n"),
        "the second run reported changes"
    );
    let after = snapshot(&out);
    let touched: Vec<&String> = after
        .iter()
        .filter(|(path, meta)| before.get(*path) != Some(meta))
        .map(|(path, _)| path)
        .collect();
    assert!(touched.is_empty(), "the second run touched {touched:?}");
    assert_eq!(before.len(), after.len(), "files appeared or disappeared");

    let check = run(&flake, "check");
    assert_eq!(
        check,
        format!("generated/inventory is up to date ({count} files)\n")
    );
}
