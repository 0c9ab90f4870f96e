//! A fleet large enough that `generate` emits, compares and writes the machine stubs on two
//! threads (from 256 files on): 600 machines of `benches/bench.py`. The stubs written by both
//! threads must hold exactly the machines' own entries of the instances' members (checked in
//! Nix, both ways), a second run must change nothing, and files edited or deleted in either half
//! of the directory must be found and restored.

mod common;

use assert_cmd::Command;
use std::path::Path;

fn run(flake: &Path, command: &str) -> String {
    let out = Command::cargo_bin("inventory-gen")
        .expect("binary")
        .env("NO_COLOR", "1")
        .args(["--flake", &flake.display().to_string(), command])
        .output()
        .expect("run inventory-gen");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// For every machine: its stub's entries, and its entries in the members files.
const BOTH_WAYS: &str = r#"
let
  out = ./generated/inventory;
  lib = { mkForce = x: x; mkDefault = x: x; mkOverride = _: x: x; };
  index = import out { };
  stub = m: import (out + "/machines/${m}.nix") { machine = x: x; };
  own = m: let i = (stub m).instances; in if builtins.isFunction i then i { inherit lib; } else i;
  instances = map (f: builtins.substring 0 (builtins.stringLength f - 4) f)
    (builtins.filter (f: builtins.match ".*\\.members\\.nix" f == null)
      (builtins.attrNames (builtins.readDir (out + "/instances"))));
  members = i: (import (out + "/instances/${i}.nix") { inherit lib; inputs = { }; }).members;
  listed = m: builtins.listToAttrs (builtins.concatMap (i:
    let roles = builtins.filter (r: (members i).${r} ? ${m}) (builtins.attrNames (members i)); in
    if roles == [ ] then [ ] else [ {
      name = i;
      value = builtins.listToAttrs (map (r: { name = r; value = (members i).${r}.${m}; }) roles);
    } ]) instances);
in
builtins.mapAttrs (m: _: { stub = own m; members = listed m; }) index.machines
"#;

#[test]
fn two_threads_write_what_one_would() {
    common::require_nix();
    let tmp = tempfile::tempdir().expect("temporary directory");
    let flake = tmp.path().join("fleet");
    let generated = std::process::Command::new("python3")
        .arg(common::repo_root().join("benches/bench.py"))
        .args(["gen", "--machines", "600", "--instances", "4"])
        .arg(&flake)
        .status()
        .expect("python3 runs benches/bench.py (.ci/run installs python3)");
    assert!(generated.success(), "benches/bench.py gen failed");

    let first = run(&flake, "generate");
    assert!(first.contains("0 unchanged"), "{first}");
    let machines = flake.join("generated/inventory/machines");
    let stubs: Vec<_> = std::fs::read_dir(&machines)
        .expect("machines/")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(stubs.len(), 600);

    let both = common::nix_eval_json(&flake, BOTH_WAYS).expect("evaluate the stubs");
    let both = both.as_object().expect("by machine");
    assert_eq!(both.len(), 600);
    let mut memberships = 0;
    for (machine, sides) in both {
        assert_eq!(sides["stub"], sides["members"], "machine {machine}");
        memberships += sides["stub"]
            .as_object()
            .expect("instances")
            .values()
            .map(|roles| roles.as_object().expect("roles").len())
            .sum::<usize>();
    }
    assert!(memberships > 600, "only {memberships} memberships");

    let second = run(&flake, "generate");
    assert!(second.contains(": 0 changed,"), "{second}");

    // One file early and one late in the directory (each half of the work), one deleted.
    let mut names: Vec<String> = stubs
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    names.sort();
    let (early, late, gone) = (&names[3], &names[590], &names[300]);
    let original = std::fs::read_to_string(machines.join(early)).expect("read");
    for name in [early, late] {
        let path = machines.join(name);
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replace("instances", "instances ")).expect("edit");
    }
    std::fs::remove_file(machines.join(gone)).expect("delete");
    let check = run(&flake, "check");
    for (verb, name) in [("update", early), ("update", late), ("create", gone)] {
        assert!(
            check.contains(&format!("would {verb} generated/inventory/machines/{name}")),
            "{check}"
        );
    }
    assert!(check.contains("3 of"), "{check}");
    let third = run(&flake, "generate");
    assert!(third.contains(": 3 changed,"), "{third}");
    assert_eq!(
        std::fs::read_to_string(machines.join(early)).expect("read"),
        original
    );
    let fourth = run(&flake, "check");
    assert!(fourth.contains("is up to date"), "{fourth}");
}
