//! The user's files in the output directory: only files the tool itself wrote (the generated
//! header; its temporary files and its lock, recognised by their exact form) are ever modified
//! or removed. A user's file that merely resembles one of the tool's (`.inventory-gen-notes.tmp`,
//! a regular file named `.inventory-gen.lock`) survives every command, which fails naming it, as
//! for any other foreign file. And a generated file edited by hand since it was written (header
//! kept) is not silently "updated": the output says the edit is replaced.

mod reliability;

use reliability::{run_in_process, snapshot, write_files};
use std::path::{Path, PathBuf};

fn flake_text(machines: &[&str]) -> String {
    let machines: String = machines.iter().map(|m| format!("{m} = {{ }}; ")).collect();
    format!(
        r#"{{
  outputs = _: {{
    modules.svc = {{ roles.peer = {{ }}; }};
    inventory = {{
      machines = {{ {machines}}};
      instances.mesh = {{
        module.name = "svc";
        roles.peer.tags.all = {{ }};
      }};
    }};
  }};
}}
"#
    )
}

fn run(dir: &Path, command: &str) -> reliability::Run {
    let flake = dir.to_str().expect("utf-8 path");
    run_in_process(&["--flake", flake, command]).expect("no panic")
}

/// A flake in `dir` with machines `jon` and `sara`, generated.
fn generated(dir: &Path) -> PathBuf {
    write_files(dir, &[("flake.nix", &flake_text(&["jon", "sara"]))]);
    let first = run(dir, "generate");
    assert_eq!(first.code, 0, "{}", first.rendered);
    dir.join("generated/inventory")
}

#[test]
fn files_that_only_resemble_the_tools_own_survive_every_command() {
    let cases = [
        (".inventory-gen-notes.tmp", "my notes\n"),
        ("machines/.inventory-gen-notes.tmp", "more notes\n"),
        // The exact form of a temporary file's name, but not generated text.
        (".inventory-gen-Ab12Cd.tmp", "my notes\n"),
        (".inventory-gen.lock", "my lock\n"),
        // Empty: not the tool's lock either (its lock says what it is).
        (".inventory-gen.lock", ""),
    ];
    for (relative, contents) in cases {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = temp.path().join("flake");
        let out = generated(&dir);
        write_files(&out, &[(relative, contents)]);
        let before = snapshot(&out);
        let named = out.join(relative).display().to_string();
        // Nothing to change; a check; a change that takes the lock.
        for (command, machines) in [
            ("generate", &["jon", "sara"][..]),
            ("check", &["jon", "sara"][..]),
            ("generate", &["jon", "sara", "tom"][..]),
        ] {
            write_files(&dir, &[("flake.nix", &flake_text(machines))]);
            let result = run(&dir, command);
            assert_ne!(result.code, 0, "{relative}: {command}: {}", result.stdout);
            assert!(
                result.has("foreign-file", &named),
                "{relative}: {command}: {}",
                result.rendered
            );
            assert!(!result.stdout.contains("removed"), "{}", result.stdout);
            assert_eq!(snapshot(&out), before, "{relative}: {command}");
        }
        // Moved away, the run goes through.
        std::fs::remove_file(out.join(relative)).expect("remove");
        let result = run(&dir, "generate");
        assert_eq!(result.code, 0, "{}", result.rendered);
        assert!(out.join("machines/tom.nix").is_file());
    }
}

#[test]
fn the_tools_own_leftovers_are_removed_by_the_next_run_that_writes() {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path().join("flake");
    let out = generated(&dir);
    let clean = snapshot(&out);
    let generated_text = std::fs::read_to_string(out.join("machines/jon.nix")).expect("read");
    // What a killed run leaves: a temporary file cut short, one not yet written to, its lock.
    let cut_short = &generated_text[..generated_text.len() / 2];
    write_files(
        &out,
        &[
            ("machines/.inventory-gen-Ab12Cd.tmp", cut_short),
            (".inventory-gen-x9Y8z7.tmp", ""),
            (
                inventory_gen::write::LOCK_FILE,
                inventory_gen::write::LOCK_CONTENTS,
            ),
        ],
    );
    let check = run(&dir, "check");
    assert_eq!(check.code, 1, "{}", check.rendered);
    let result = run(&dir, "generate");
    assert_eq!(result.code, 0, "{}", result.rendered);
    assert!(
        result
            .stdout
            .contains("removed generated/inventory/machines/.inventory-gen-Ab12Cd.tmp"),
        "{}",
        result.stdout
    );
    assert_eq!(snapshot(&out), clean);
}

/// True when the file system keeps the checksum the tool puts on the files it writes.
fn checksums_kept(file: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt as _;
        let name = std::ffi::CString::new(file.as_os_str().as_bytes()).expect("path");
        let mut value = [0u8; 64];
        // SAFETY: both names are NUL-terminated; at most `value.len()` bytes are written.
        let read = unsafe {
            libc::lgetxattr(
                name.as_ptr(),
                c"user.inventory-gen.sum".as_ptr(),
                value.as_mut_ptr().cast(),
                value.len(),
            )
        };
        read > 0
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        false
    }
}

#[test]
fn a_hand_edit_that_kept_the_header_is_reported_as_replaced() {
    use std::io::Write as _;
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path().join("flake");
    let out = generated(&dir);
    let jon = out.join("machines/jon.nix");
    if !checksums_kept(&jon) {
        eprintln!("SKIP: this file system keeps no user extended attributes");
        return;
    }
    let clean = snapshot(&out);
    // Edited in place, as most editors save, header kept.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&jon)
        .expect("open")
        .write_all(b"# my change\n")
        .expect("append");
    let check = run(&dir, "check");
    assert_eq!(check.code, 1, "{}", check.rendered);
    assert!(
        check.stdout.contains(
            "note: generated/inventory/machines/jon.nix was edited by hand since it was generated"
        ),
        "{}",
        check.stdout
    );
    let result = run(&dir, "generate");
    assert_eq!(result.code, 0, "{}", result.rendered);
    assert!(
        result
            .stdout
            .contains("updated generated/inventory/machines/jon.nix\n"),
        "{}",
        result.stdout
    );
    assert!(
        result
            .stdout
            .contains("note: hand edit replaced in generated/inventory/machines/jon.nix"),
        "{}",
        result.stdout
    );
    assert_eq!(snapshot(&out), clean);

    // A file that is only out of date (the inventory changed; no one edited it) is just
    // updated.
    write_files(&dir, &[("flake.nix", &flake_text(&["jon", "sara", "tom"]))]);
    let result = run(&dir, "generate");
    assert_eq!(result.code, 0, "{}", result.rendered);
    assert!(result.stdout.contains("updated "), "{}", result.stdout);
    assert!(!result.stdout.contains("hand edit"), "{}", result.stdout);

    // Every way a file is written carries the checksum: staged in a first generation (above),
    // replaced (`jon`, rewritten after the edit), created in an existing directory (`tom`).
    for name in ["jon", "tom"] {
        std::fs::OpenOptions::new()
            .append(true)
            .open(out.join(format!("machines/{name}.nix")))
            .expect("open")
            .write_all(b"# my change\n")
            .expect("append");
    }
    let check = run(&dir, "check");
    for name in ["jon", "tom"] {
        assert!(
            check.stdout.contains(&format!(
                "note: generated/inventory/machines/{name}.nix was edited by hand"
            )),
            "{}",
            check.stdout
        );
    }
}
