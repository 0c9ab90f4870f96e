//! One transcript of the command line: for each invocation its arguments, exit code, stdout and
//! stderr, compared with `tests/cli/transcript.txt` (re-bless with `INVENTORY_GEN_BLESS=1`).
//! It covers the exit-code contract (0 ok, 1 inventory errors or stale files, 2 usage or I/O),
//! both output formats, legacy `services` (a warning, fatal with `--deny-warnings`; `migrate
//! --dry-run`), the stale → regenerate → up-to-date cycle on a scratch copy, a foreign
//! file in the output directory stopping the run, and a removed machine losing its stub.

mod common;

use assert_cmd::Command;
use std::path::Path;

fn run(log: &mut String, cwd: &Path, scratch: &Path, args: &[&str]) -> i32 {
    let output = Command::cargo_bin("inventory-gen")
        .expect("binary")
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run");
    let clean = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .replace(&scratch.display().to_string(), "<scratch>")
            .replace(&cwd.display().to_string(), "<repo>")
    };
    let code = output.status.code().unwrap_or(-1);
    log.push_str(&format!(
        "$ inventory-gen {}\nexit: {code}\n--- stdout\n{}--- stderr\n{}\n",
        clean(args.join(" ").as_bytes()),
        clean(&output.stdout),
        clean(&output.stderr)
    ));
    code
}

fn copy_flake(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_flake(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn transcript() {
    let root = common::repo_root();
    let temp = tempfile::tempdir().expect("tempdir");
    let scratch = temp.path().canonicalize().expect("canonical");
    let mut log = String::new();
    let mut codes = Vec::new();
    for args in [
        vec!["--version"],
        vec!["frobnicate"],
        vec!["eval", "--flake", "tests/cases/office"],
        vec!["check", "--flake", "tests/cases/mesh"],
        vec!["check", "--flake", "tests/cases/mesh", "--format", "json"],
        vec!["check", "--flake", "tests/cases/err-unknown-role"],
        vec![
            "check",
            "--flake",
            "tests/cases/err-unknown-role",
            "--format",
            "json",
        ],
        vec!["check", "--flake", "tests/cases/warn-unused-tag"],
        vec![
            "check",
            "--flake",
            "tests/cases/warn-unused-tag",
            "--deny-warnings",
        ],
        // Role members the inventory does not declare, and an unused module that cannot be
        // read: warnings (clan-core accepts both), fatal with --deny-warnings.
        vec![
            "check",
            "--flake",
            "tests/cases/warn-undeclared-member-unused-module",
            "--deny-warnings",
        ],
        // A legacy `services` instance: a warning, fatal with --deny-warnings; migrate's diff.
        vec!["check", "--flake", "tests/cases/legacy-tags"],
        vec![
            "check",
            "--flake",
            "tests/cases/legacy-tags",
            "--deny-warnings",
        ],
        vec!["migrate", "--dry-run", "--flake", "tests/cases/legacy-tags"],
        vec!["check", "--flake", "tests/cases/no-such-flake"],
        vec!["generate", "--flake", "tests/cases/mesh", "--format", "dot"],
        vec![
            "generate",
            "--flake",
            "tests/cases/mesh",
            "--out",
            "/tmp/elsewhere",
        ],
    ] {
        codes.push(run(&mut log, &root, &scratch, &args));
    }

    // A stale flake: change a setting in a scratch copy, see the diff, regenerate, check again.
    let flake = scratch.join("mesh");
    std::fs::create_dir_all(&flake).expect("mkdir");
    copy_flake(&root.join("tests/cases/mesh"), &flake);
    let clan = flake.join("clan.nix");
    let text = std::fs::read_to_string(&clan).expect("clan.nix");
    std::fs::write(&clan, text.replace("listenPort = 443", "listenPort = 8443")).expect("write");
    let flake_arg = flake.display().to_string();
    for args in [
        vec!["check", "--diff", "--flake", &flake_arg],
        vec!["--flake", &flake_arg],
        vec!["check", "--flake", &flake_arg],
    ] {
        codes.push(run(&mut log, &root, &scratch, &args));
    }
    // A file the tool did not write stops the run before anything is written.
    let foreign = flake.join("generated/inventory/machines/notes.txt");
    std::fs::write(&foreign, "my notes\n").expect("write");
    let index = flake.join("generated/inventory/default.nix");
    let before = std::fs::read_to_string(&index).expect("read");
    codes.push(run(&mut log, &root, &scratch, &["--flake", &flake_arg]));
    assert_eq!(
        std::fs::read_to_string(&foreign).expect("kept"),
        "my notes\n"
    );
    std::fs::remove_file(&foreign).expect("remove");

    // A machine that leaves the inventory loses its stub.
    let text = std::fs::read_to_string(&clan).expect("clan.nix");
    std::fs::write(
        &clan,
        text.replace("      laptop.tags = [ \"roaming\" ];\n", ""),
    )
    .expect("write");
    codes.push(run(&mut log, &root, &scratch, &["--flake", &flake_arg]));
    assert!(
        !flake
            .join("generated/inventory/machines/laptop.nix")
            .exists()
    );
    assert_ne!(before, std::fs::read_to_string(&index).expect("read"));
    assert_eq!(
        codes,
        [
            0, 2, 0, 0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 2, 2, 2, 1, 0, 0, 1, 0
        ],
        "exit codes:\n{log}"
    );

    let path = root.join("tests/cli/transcript.txt");
    if std::env::var_os("INVENTORY_GEN_BLESS").is_some() {
        std::fs::write(&path, &log).expect("bless");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == log,
        "transcript differs (INVENTORY_GEN_BLESS=1 to accept):\n{}",
        similar::TextDiff::from_lines(&expected, &log)
            .unified_diff()
            .header("expected", "actual")
    );
}
