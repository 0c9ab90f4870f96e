//! One transcript of the command line: for each invocation its arguments, exit code, stdout and
//! stderr, compared with `tests/cli/transcript.txt` (re-bless with `INVENTORY_GEN_BLESS=1`).
//! It covers the exit-code contract (0 ok, 1 inventory errors or stale files, 2 usage or I/O),
//! both output formats, legacy `services` (a warning, fatal with `--deny-warnings`; `migrate
//! --dry-run`), the stale → regenerate → up-to-date cycle on a scratch copy, a foreign
//! file in the output directory stopping the run, and a removed machine losing its stub.
//!
//! And what users of pre-commit, ruff, nix and git expect (issue 17): the pre-commit hook's own
//! entry (read from `.pre-commit-hooks.yaml`) failing when it creates files; the flake found
//! from a subdirectory and a missing one being a usage error; "did you mean" for transposed
//! letters; `check --diff --format json` carrying the diff; `--deny-warnings` saying so; options
//! a subcommand does not take rejected; `--quiet`; a summary on large fleets (`--verbose` lists);
//! `show` and `graph` on a broken inventory.

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
        // Options a subcommand does not take are usage errors, wherever they are written.
        vec!["show", "--out", "x", "--flake", "tests/cases/mesh"],
        vec!["--out", "x", "check", "--flake", "tests/cases/mesh"],
        vec!["schema", "--flake", "tests/cases/mesh"],
        vec!["check", "--format", "dot", "--flake", "tests/cases/mesh"],
        vec!["--quiet", "--verbose", "check"],
        vec!["--flake", "tests/cases/mesh/services"],
        // Transposed letters get a suggestion.
        vec!["show", "wbe", "--flake", "templates/default"],
        vec!["show", "--tag", "nxios", "--flake", "tests/cases/mesh"],
        vec![
            "graph",
            "--machine",
            "gatewya",
            "--flake",
            "tests/cases/mesh",
        ],
        vec![
            "check",
            "--flake",
            "tests/cases/warn-unused-tag",
            "--deny-warnings",
            "--format",
            "json",
        ],
        vec!["check", "--flake", "tests/cases/mesh", "--quiet"],
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
        vec!["check", "--diff", "--format", "json", "--flake", &flake_arg],
        vec!["--flake", &flake_arg],
        vec!["check", "--flake", &flake_arg],
    ] {
        codes.push(run(&mut log, &root, &scratch, &args));
    }
    // Run from a subdirectory, the flake is found upward.
    codes.push(run(&mut log, &flake.join("services"), &scratch, &["check"]));
    codes.push(run(
        &mut log,
        &flake.join("services"),
        &scratch,
        &["show", "db"],
    ));

    // The pre-commit hook, as `.pre-commit-hooks.yaml` runs it: after `git rm -r generated` it
    // recreates the files and fails (pre-commit does not see untracked files); once they are
    // there it passes.
    let hooks = std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).expect("hooks");
    let entry = hooks
        .lines()
        .find_map(|l| l.trim().strip_prefix("entry: inventory-gen generate"))
        .expect("a generate hook");
    let mut hook: Vec<&str> = vec!["generate"];
    hook.extend(entry.split_whitespace());
    let generated = flake.join("generated");
    let saved = scratch.join("generated.saved");
    std::fs::rename(&generated, &saved).expect("move generated");
    codes.push(run(&mut log, &flake, &scratch, &hook));
    codes.push(run(&mut log, &flake, &scratch, &hook));
    std::fs::remove_dir_all(&generated).expect("remove");
    std::fs::rename(&saved, &generated).expect("restore generated");
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

    // No flake.nix here or above (the scratch directory is outside any git repository).
    let empty = scratch.join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    codes.push(run(&mut log, &empty, &scratch, &["check"]));

    // A broken inventory is still shown: what resolved, with what holds an error marked; exit 1.
    let broken = scratch.join("broken");
    std::fs::create_dir_all(&broken).expect("mkdir");
    copy_flake(&root.join("tests/cases/mesh"), &broken);
    let clan = broken.join("clan.nix");
    let text = std::fs::read_to_string(&clan).expect("clan.nix");
    let text = text
        .replace(
            "roles.hub.machines.db = { };",
            "roles.hub.machines.dbb = { };",
        )
        .replace(
            "gateway.tags = [ \"dc\" ];",
            "gateway.tags = [ \"dc\" ];\n      gateway.machineClass = \"windows\";",
        );
    std::fs::write(&clan, text).expect("write");
    for args in [
        vec!["show"],
        vec!["show", "db"],
        vec!["graph", "--format", "mermaid"],
        vec!["graph", "--machine", "gateway"],
        vec!["show", "gateway", "--format", "json"],
    ] {
        codes.push(run(&mut log, &broken, &scratch, &args));
    }

    // A settings key the local module's interface does not declare: an error at the key.
    let fleet_copy = scratch.join("template");
    std::fs::create_dir_all(&fleet_copy).expect("mkdir");
    copy_flake(&root.join("templates/default"), &fleet_copy);
    let flake_nix = fleet_copy.join("flake.nix");
    let text = std::fs::read_to_string(&flake_nix).expect("flake.nix");
    std::fs::write(
        &flake_nix,
        text.replacen(
            "roles.default.settings.message",
            "roles.default.settings.mesage",
            1,
        ),
    )
    .expect("write");
    codes.push(run(&mut log, &fleet_copy, &scratch, &["check"]));

    // A large fleet gets a summary, the list with --verbose.
    let fleet = scratch.join("fleet");
    std::fs::create_dir_all(&fleet).expect("mkdir");
    let machines: String = (1..=30).map(|i| format!("m{i:02} = {{ }}; ")).collect();
    std::fs::write(
        fleet.join("flake.nix"),
        format!("{{\n  outputs = _: {{\n    inventory.machines = {{ {machines}}};\n  }};\n}}\n"),
    )
    .expect("write");
    codes.push(run(&mut log, &fleet, &scratch, &["check"]));
    codes.push(run(&mut log, &fleet, &scratch, &["check", "--verbose"]));
    assert_eq!(
        codes,
        [
            0, 2, 0, 0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 0, 1, 1,
            0, 0, 0, 0, 1, 0, 1, 0, 2, 1, 1, 1, 1, 1, 1, 1, 1
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

/// `--color always` colours diagnostics even into a pipe; `never` and `auto` (not a terminal
/// here, and NO_COLOR set) do not.
#[test]
fn color_flag() {
    let root = common::repo_root();
    let stderr = |color: &str, no_color: bool| {
        let mut command = Command::cargo_bin("inventory-gen").expect("binary");
        command.current_dir(&root).args([
            "check",
            "--flake",
            "tests/cases/warn-unused-tag",
            "--color",
            color,
        ]);
        if no_color {
            command.env("NO_COLOR", "1");
        } else {
            command.env_remove("NO_COLOR");
        }
        let out = command.output().expect("run");
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(stderr("always", true).contains("\x1b["));
    assert!(stderr("always", false).contains("\x1b["));
    assert!(!stderr("never", false).contains("\x1b["));
    assert!(!stderr("auto", true).contains("\x1b["));
    assert!(stderr("never", false).contains("warning[unused-tag]"));
}

/// Settings keys against a local module's static interface (issue 17, item 7): a key the
/// interface does not declare is an `unknown-key` error at the key with a suggestion, also
/// inside option groups and through the interface's `imports`; freeform and computed interfaces,
/// and roles without one, are left to Nix.
#[test]
fn settings_keys_against_static_interfaces() {
    let temp = tempfile::tempdir().expect("tempdir");
    let flake = |name: &str, interface: &str, settings: &str| {
        let dir = temp.path().join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("flake.nix"),
            format!(
                "{{\n  outputs = _: {{\n    modules.svc = ./svc.nix;\n    inventory = {{\n      machines.a = {{ }};\n      instances.i = {{\n        module.name = \"svc\";\n        module.input = \"self\";\n        roles.r.machines.a.settings = {settings};\n      }};\n    }};\n  }};\n}}\n"
            ),
        )
        .expect("write");
        std::fs::write(
            dir.join("svc.nix"),
            format!(
                "{{ ... }}:\n{{\n  _class = \"clan.service\";\n  manifest.name = \"svc\";\n  roles.r{interface};\n}}\n"
            ),
        )
        .expect("write");
        std::fs::write(
            dir.join("iface.nix"),
            "{ lib, ... }:\n{\n  options.port = lib.mkOption { type = lib.types.port; };\n}\n",
        )
        .expect("write");
        dir
    };
    let check = |dir: &Path| {
        let out = Command::cargo_bin("inventory-gen")
            .expect("binary")
            .args(["check", "--flake"])
            .arg(dir)
            .env("NO_COLOR", "1")
            .output()
            .expect("run");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let declared = ".interface = { lib, ... }: { imports = [ ./iface.nix ]; options.group.inner = lib.mkEnableOption \"inner\"; }";

    let typo = flake(
        "typo",
        declared,
        "{ port = 1; group.inner = true; group.innr = false; prot = 2; }",
    );
    let (code, stderr) = check(&typo);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[unknown-key]: role `r` of service module `svc` declares no option `settings.group.innr`"), "{stderr}");
    assert!(stderr.contains("did you mean `inner`?"), "{stderr}");
    assert!(
        stderr.contains("declares no option `settings.prot`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean `port`? declared options: group, port"),
        "{stderr}"
    );
    assert!(stderr.contains("flake.nix:9:"), "{stderr}");
    assert!(stderr.contains("2 errors found"), "{stderr}");

    let fine = flake("fine", declared, "{ port = 1; group.inner = true; }");
    assert_eq!(check(&fine).0, 1, "not generated yet: stale, no error");
    assert!(!check(&fine).1.contains("error"), "{}", check(&fine).1);

    for (name, interface) in [
        (
            "freeform",
            ".interface = { lib, ... }: { freeformType = lib.types.attrs; options.port = lib.mkOption { }; }",
        ),
        (
            "computed",
            ".interface = { lib, ... }: { options = lib.genAttrs [ \"port\" ] (_: lib.mkOption { }); }",
        ),
        ("none", ".description = \"no interface\""),
    ] {
        let dir = flake(name, interface, "{ prot = 2; }");
        let (_, stderr) = check(&dir);
        assert!(!stderr.contains("unknown-key"), "{name}: {stderr}");
    }
}
