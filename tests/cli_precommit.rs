//! The pre-commit hook end to end, with the real pre-commit framework (SKIP when `pre-commit` or
//! `git` is not installed): in a git repository holding a fleet, after `git rm -r generated` and
//! an edit, `pre-commit try-repo <this repository> inventory-gen` must fail (the hook recreated
//! the files, which git does not track yet); once they are added it passes. The hook is the one
//! `.pre-commit-hooks.yaml` declares, run with the binary under test on PATH.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.email=test@example.org", "-c", "user.name=test"])
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn copy(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn hook_fails_when_it_creates_files() {
    if !have("pre-commit") || !have("git") {
        eprintln!("SKIP hook_fails_when_it_creates_files: `pre-commit` or `git` is not on PATH");
        return;
    }
    let root = common::repo_root();
    let temp = tempfile::tempdir().expect("tempdir");
    let fleet = temp.path().join("fleet");
    std::fs::create_dir_all(&fleet).expect("mkdir");
    copy(&root.join("tests/cases/mesh"), &fleet);
    git(&fleet, &["init", "-q"]);
    git(&fleet, &["add", "-A"]);
    git(&fleet, &["commit", "-qm", "fleet"]);
    git(&fleet, &["rm", "-rq", "generated"]);
    let clan = fleet.join("clan.nix");
    let text = std::fs::read_to_string(&clan).expect("read");
    std::fs::write(&clan, format!("{text}# edited\n")).expect("write");
    git(&fleet, &["add", "clan.nix"]);

    let bin = assert_cmd::cargo::cargo_bin("inventory-gen");
    let path = std::env::join_paths(
        std::iter::once(bin.parent().expect("bin dir").to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .expect("PATH");
    let hook = || -> Output {
        Command::new("pre-commit")
            .current_dir(&fleet)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", temp.path().join("cache"))
            .args(["try-repo"])
            .arg(&root)
            .arg("inventory-gen")
            .output()
            .expect("pre-commit")
    };
    let first = hook();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert_eq!(first.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("Failed"), "{stdout}");
    assert!(
        stdout.contains("created generated/inventory/machines/db.nix"),
        "{stdout}"
    );
    assert!(fleet.join("generated/inventory/default.nix").is_file());

    git(&fleet, &["add", "-A"]);
    let second = hook();
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert_eq!(second.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("Passed"), "{stdout}");
}
