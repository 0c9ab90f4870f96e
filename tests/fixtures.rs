//! Fixture flakes under `tests/cases/<name>/` and the templates under `templates/`, run through
//! the real binary.
//!
//! - A case with a `generated/` directory is a working flake: `inventory-gen check` must say it
//!   is up to date, generating it afresh into a copy must give the committed bytes, a second
//!   run must write nothing, and every generated file must parse with `nix-instantiate`.
//! - A case with `expected.txt` is a bad (or warning) input: the transcript of
//!   `inventory-gen check --flake <case>` (exit code, stdout, stderr) must match, and the case
//!   directory must be left exactly as it was.
//!
//! `INVENTORY_GEN_BLESS=1 cargo test --test fixtures` rewrites committed outputs and transcripts
//! instead of comparing; review the diff before committing.

mod common;

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn bless() -> bool {
    std::env::var_os("INVENTORY_GEN_BLESS").is_some()
}

/// Every fixture flake, and the templates users start from (they must be current too).
fn cases() -> Vec<PathBuf> {
    let root = common::repo_root();
    let mut dirs: Vec<PathBuf> = ["tests/cases", "templates"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).expect("fixture directory"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("flake.nix").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("inventory-gen").expect("binary");
    cmd.env("NO_COLOR", "1");
    // These cases are about the static reader: no island is left to Nix (tests/islands.rs).
    cmd.env("INVENTORY_GEN_NO_NIX", "1");
    cmd
}

/// Every file below `dir`, relative path → bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                out.insert(path.strip_prefix(dir).expect("below").to_path_buf(), bytes);
            }
        }
    }
    out
}

/// Every directory below `dir` (relative paths): one left behind, even empty, is a change.
fn directories(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.push(path.strip_prefix(dir).expect("below").to_path_buf());
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    for (relative, bytes) in snapshot(from) {
        let target = to.join(&relative);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, bytes).expect("write");
    }
}

fn transcript(case: &Path, args: &[&str]) -> String {
    let output = bin()
        .args(args)
        .arg("--flake")
        .arg(case)
        .output()
        .expect("run");
    let shown = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes).replace(&case.display().to_string(), "<flake>")
    };
    format!(
        "$ inventory-gen {} --flake <flake>\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        output.status.code().unwrap_or(-1),
        shown(&output.stdout),
        shown(&output.stderr)
    )
}

#[test]
fn working_flakes_are_up_to_date() {
    let mut failures = Vec::new();
    for case in cases().iter().filter(|c| c.join("generated").is_dir()) {
        if bless() {
            bin().arg("--flake").arg(case).assert().success();
        }
        let out = bin()
            .arg("check")
            .arg("--flake")
            .arg(case)
            .output()
            .expect("run");
        if !out.status.success() {
            failures.push(format!(
                "{}: check failed\n{}{}",
                case.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn generating_afresh_gives_the_committed_bytes_and_a_second_run_writes_nothing() {
    for case in cases().iter().filter(|c| c.join("generated").is_dir()) {
        let temp = tempfile::tempdir().expect("tempdir");
        let copy = temp.path().join("flake");
        copy_dir(case, &copy);
        std::fs::remove_dir_all(copy.join("generated")).expect("remove generated");

        bin().arg("--flake").arg(&copy).assert().success();
        let first = snapshot(&copy.join("generated"));
        assert_eq!(
            first,
            snapshot(&case.join("generated")),
            "{}: fresh output differs from the committed files",
            case.display()
        );
        let mtimes: Vec<_> = first
            .keys()
            .map(|p| {
                std::fs::metadata(copy.join("generated").join(p))
                    .and_then(|m| m.modified())
                    .expect("mtime")
            })
            .collect();

        let second = bin().arg("--flake").arg(&copy).output().expect("run");
        assert!(second.status.success());
        let report = String::from_utf8_lossy(&second.stdout);
        assert!(
            report.contains(": 0 changed"),
            "{}: second run changed files:\n{report}",
            case.display()
        );
        assert_eq!(snapshot(&copy.join("generated")), first);
        let mtimes_after: Vec<_> = first
            .keys()
            .map(|p| {
                std::fs::metadata(copy.join("generated").join(p))
                    .and_then(|m| m.modified())
                    .expect("mtime")
            })
            .collect();
        assert_eq!(
            mtimes,
            mtimes_after,
            "{}: unchanged files were rewritten",
            case.display()
        );
    }
}

#[test]
fn generated_files_parse_and_the_index_evaluates() {
    common::require_nix();
    for case in cases().iter().filter(|c| c.join("generated").is_dir()) {
        let generated = case.join("generated/inventory");
        let files = snapshot(&generated);
        for relative in files.keys() {
            let path = generated.join(relative);
            let out = common::nix_instantiate(case, &["--parse", path.to_str().expect("utf-8")]);
            assert!(out.ok, "{} does not parse:\n{}", path.display(), out.stderr);
        }
        let machines = common::nix_eval_json(
            case,
            "builtins.mapAttrs (_: m: m.class) (import ./generated/inventory { }).machines",
        )
        .unwrap_or_else(|e| panic!("{}: index does not evaluate:\n{e}", case.display()));
        let stubs: Vec<String> = files
            .keys()
            .filter_map(|p| p.strip_prefix("machines").ok())
            .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
            .collect();
        let listed: Vec<String> = machines
            .as_object()
            .expect("object")
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            listed,
            stubs,
            "{}: index and stubs disagree",
            case.display()
        );
    }
}

/// The index lists every machine and its class without reading a stub; the rest of a machine's
/// information comes from its own stub, and only from it.
#[test]
fn the_index_reads_a_stub_only_for_that_machines_information() {
    common::require_nix();
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/mesh");
    let temp = tempfile::tempdir().expect("tempdir");
    let generated = temp.path().join("generated/inventory");
    for (relative, bytes) in snapshot(&case.join("generated/inventory")) {
        let path = generated.join(&relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let poisoned = relative.starts_with("machines") && !relative.ends_with("db.nix");
        let text = if poisoned {
            format!("throw \"{} was read\"", relative.display()).into_bytes()
        } else {
            bytes
        };
        std::fs::write(path, text).expect("write");
    }
    let eval = |expr: &str| common::nix_eval_json(temp.path(), expr);
    let classes =
        eval("builtins.mapAttrs (_: m: m.class) (import ./generated/inventory { }).machines")
            .expect("classes without reading stubs");
    assert_eq!(
        classes,
        serde_json::json!({ "db": "nixos", "gateway": "nixos", "laptop": "nixos", "macbook": "darwin" })
    );
    let db = eval("(import ./generated/inventory { }).machines.db").expect("db from its stub");
    assert_eq!(
        db,
        serde_json::json!({
            "class": "nixos",
            "deploy": { "buildHost": null, "forwardAgent": null, "targetHost": null },
            "description": null,
            "tags": ["all", "dc", "nixos", "storage"],
        })
    );
    let gateway = eval("(import ./generated/inventory { }).machines.gateway.tags")
        .expect_err("gateway's tags come from its stub");
    assert!(
        gateway.contains("machines/gateway.nix was read"),
        "{gateway}"
    );
}

#[test]
fn bad_inputs_give_their_diagnostics_and_leave_the_flake_untouched() {
    let mut failures = Vec::new();
    for case in cases().iter().filter(|c| c.join("expected.txt").is_file()) {
        let without_transcript = |mut files: BTreeMap<PathBuf, Vec<u8>>| {
            files.remove(Path::new("expected.txt"));
            files
        };
        let before = (without_transcript(snapshot(case)), directories(case));
        let actual = transcript(case, &["check"]);
        let expected_path = case.join("expected.txt");
        if bless() {
            std::fs::write(&expected_path, &actual).expect("bless");
        } else {
            let expected = std::fs::read_to_string(&expected_path).expect("expected.txt");
            if expected != actual {
                failures.push(format!(
                    "{}:\n{}",
                    case.display(),
                    similar::TextDiff::from_lines(&expected, &actual)
                        .unified_diff()
                        .header("expected", "actual")
                ));
            }
        }
        // Generating must fail the same way and write nothing.
        let generate = bin().arg("--flake").arg(case).output().expect("run");
        let after = (without_transcript(snapshot(case)), directories(case));
        if before != after {
            failures.push(format!(
                "{}: the run changed the flake directory",
                case.display()
            ));
        }
        assert_eq!(
            generate.status.success(),
            actual.contains("\nexit: 0\n"),
            "{}: generate and check disagree",
            case.display()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_case_is_either_working_or_has_a_transcript() {
    for case in cases() {
        assert!(
            case.join("generated").is_dir() || case.join("expected.txt").is_file(),
            "{}: add generated/ (run inventory-gen) or expected.txt (INVENTORY_GEN_BLESS=1)",
            case.display()
        );
    }
}
