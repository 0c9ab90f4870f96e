//! clan-core's own `clan.service` modules, run unchanged by the generated runtime, against
//! clan-core's own evaluation, machine by machine.
//!
//! - `../shared/examples/real-services/<case>/`: fleets with clan-core's per-machine answers
//!   (`expected.json`) and the observation harness `observe-real.nix`; the case is copied, the
//!   tool generates its directory, and every machine's observation must equal its answer.
//! - `tests/nix/clan-services/<fleet>/`: fleets of clan-core's services (`clan.nix`, public
//!   `vars/`); clan-core's answer is computed here by `oracle.nix` (clan-core's `lib.clan` from
//!   `<clan-core>`), ours by `ours.nix`, both observed with the same harness.
//!
//! Both need `<nixpkgs/lib>`; the second needs `<clan-core>` on NIX_PATH, and both the shared
//! examples. Each test prints SKIP and passes when what it needs is absent.

mod common;

use common::{have_nixpkgs_lib, nix_eval_json, nix_instantiate, repo_root};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn shared_examples() -> PathBuf {
    repo_root().join("../shared/examples/real-services")
}

fn observe_harness(test: &str) -> Option<PathBuf> {
    let path = shared_examples().join("observe-real.nix");
    if path.is_file() {
        Some(fs::canonicalize(path).expect("canonical path"))
    } else {
        eprintln!(
            "SKIP {test}: ../shared/examples/real-services/observe-real.nix is absent (the observation harness of clan-core's services)"
        );
        None
    }
}

fn have_clan_core(test: &str) -> bool {
    let found = Command::new("nix-instantiate")
        .args(["--find-file", "clan-core"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        eprintln!(
            "SKIP {test}: <clan-core> is not on NIX_PATH (point NIX_PATH at a clan-core checkout: clan-core=/path/to/clan-core)"
        );
    }
    found
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create directory");
    for entry in fs::read_dir(from).expect("read directory") {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Copies `case` into a temporary directory and runs `inventory-gen generate` there.
fn generated_copy(case: &Path) -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = fs::canonicalize(temp.path())
        .expect("canonical")
        .join("flake");
    copy_dir(case, &dir);
    let _ = fs::remove_dir_all(dir.join("generated"));
    let out = Command::new(env!("CARGO_BIN_EXE_inventory-gen"))
        .args(["generate", "--flake"])
        .arg(&dir)
        .output()
        .expect("run inventory-gen");
    assert!(
        out.status.success(),
        "inventory-gen generate failed on {}:\n{}",
        case.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (temp, dir)
}

/// The first place where `want` and `got` differ, as a path and both values.
fn first_difference(at: &str, want: &Value, got: &Value) -> Option<String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            let keys: BTreeSet<&String> = w.keys().chain(g.keys()).collect();
            keys.into_iter().find_map(|k| {
                let here = format!("{at}.{k}");
                match (w.get(k), g.get(k)) {
                    (Some(a), Some(b)) => first_difference(&here, a, b),
                    (a, b) => Some(format!("{here}: clan-core {a:?}, ours {b:?}")),
                }
            })
        }
        _ if want == got => None,
        _ => Some(format!("{at}: clan-core {want}, ours {got}")),
    }
}

fn compare(what: &str, want: &Value, got: &Value) -> Vec<String> {
    let want = want.as_object().expect("an object of machines");
    let got = got.as_object().expect("an object of machines");
    let mut failures = Vec::new();
    let names: BTreeSet<&String> = want.keys().chain(got.keys()).collect();
    for m in names {
        match (want.get(m), got.get(m)) {
            (Some(w), Some(g)) => {
                if let Some(diff) = first_difference(m, w, g) {
                    failures.push(format!("{what}: machine {m}: {diff}"));
                }
            }
            _ => failures.push(format!("{what}: machine {m} is not in both answers")),
        }
    }
    failures
}

fn nix_string(path: &Path) -> String {
    let text = path.to_str().expect("UTF-8 path");
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[test]
fn shared_examples_equal_clan_cores_answers() {
    let test = "shared_examples_equal_clan_cores_answers";
    if !have_nixpkgs_lib(test) {
        return;
    }
    let Some(observe) = observe_harness(test) else {
        return;
    };
    let mut failures = Vec::new();
    for case in ["borg-tags", "mesh-exports"] {
        let (_temp, dir) = generated_copy(&shared_examples().join(case));
        let expected_text = fs::read_to_string(dir.join("expected.json"))
            .expect("expected.json")
            .replace("@CASE@", dir.to_str().expect("UTF-8 path"));
        let expected: Value = serde_json::from_str(&expected_text).expect("expected.json is JSON");
        // The README's recipe, for every machine of the generated index.
        let expr = format!(
            "let lib = import <nixpkgs/lib>; c = import {observe} {{ inherit lib; }}; \
             dir = /. + {dir}; inputs = import (dir + \"/inputs.nix\") {{ inherit lib; }}; \
             gen = import (dir + \"/generated/inventory\") {{ inherit inputs; }}; in \
             builtins.mapAttrs (m: info: c.observe {{ name = m; class = info.class; domain = \"clan\"; directory = dir; }} [ gen.modules.${{m}} ]) gen.machines",
            observe = nix_string(&observe),
            dir = nix_string(&dir),
        );
        match nix_eval_json(&dir, &expr) {
            Err(stderr) => failures.push(format!("{case}: evaluation failed:\n{stderr}")),
            Ok(got) => failures.extend(compare(case, &expected, &got)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn fleets() -> Vec<PathBuf> {
    let root = repo_root().join("tests/nix/clan-services");
    let mut fleets: Vec<PathBuf> = fs::read_dir(&root)
        .expect("tests/nix/clan-services")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("clan.nix").is_file())
        .collect();
    fleets.sort();
    fleets
}

/// The clan-core services the generated instance files of `dir` use.
fn services_used(dir: &Path) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for entry in fs::read_dir(dir.join("generated/inventory/instances")).expect("instances") {
        let text = fs::read_to_string(entry.expect("entry").path()).expect("instance file");
        for line in text.lines() {
            if let Some(rest) = line
                .trim()
                .strip_prefix("service = inputs.clan-core.clan.modules.")
            {
                used.insert(rest.trim_end_matches(';').to_string());
            }
        }
    }
    used
}

#[test]
fn fleets_of_clan_core_services_match_clan_core() {
    let test = "fleets_of_clan_core_services_match_clan_core";
    if !have_nixpkgs_lib(test) || !have_clan_core(test) {
        return;
    }
    let Some(observe) = observe_harness(test) else {
        return;
    };
    let here = repo_root().join("tests/nix/clan-services");
    let mut failures = Vec::new();
    let mut used = BTreeSet::new();
    for fleet in fleets() {
        let what = fleet.file_name().unwrap().to_string_lossy().to_string();
        let (_temp, dir) = generated_copy(&fleet);
        used.extend(services_used(&dir));
        let oracle = nix_instantiate(
            &here,
            &[
                "--eval",
                "--strict",
                "--json",
                "oracle.nix",
                "--argstr",
                "dir",
                dir.to_str().unwrap(),
                "--arg",
                "observe",
                observe.to_str().unwrap(),
            ],
        );
        let ours = nix_instantiate(
            &here,
            &[
                "--eval",
                "--strict",
                "--json",
                "ours.nix",
                "--argstr",
                "dir",
                dir.to_str().unwrap(),
                "--arg",
                "generated",
                dir.join("generated/inventory").to_str().unwrap(),
                "--arg",
                "observe",
                observe.to_str().unwrap(),
            ],
        );
        if !oracle.ok {
            failures.push(format!(
                "{what}: clan-core's evaluation failed:\n{}",
                oracle.stderr
            ));
            continue;
        }
        if !ours.ok {
            failures.push(format!("{what}: our evaluation failed:\n{}", ours.stderr));
            continue;
        }
        let want: Value = serde_json::from_str(&oracle.stdout).expect("JSON");
        let got: Value = serde_json::from_str(&ours.stdout).expect("JSON");
        // Every machine gets something from its services (the comparison is not of empty sets).
        for (m, v) in want.as_object().expect("machines") {
            if v.as_object()
                .is_none_or(|o| o.keys().all(|k| k == "warnings" || k == "failedAssertions"))
            {
                failures.push(format!(
                    "{what}: machine {m} gets nothing from its services"
                ));
            }
        }
        failures.extend(compare(&what, &want, &got));
    }
    for service in [
        "wireguard",
        "zerotier",
        "yggdrasil",
        "borgbackup",
        "users",
        "sshd",
    ] {
        assert!(used.contains(service), "no fleet uses {service}: {used:?}");
    }
    assert!(
        used.len() >= 10,
        "the fleets use fewer than ten services: {used:?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn missing_inputs_name_the_input_the_instance_and_how_to_pass_it() {
    let test = "missing_inputs_name_the_input_the_instance_and_how_to_pass_it";
    if !have_nixpkgs_lib(test) {
        return;
    }
    let fleet = repo_root().join("tests/nix/clan-services/network");
    let (_temp, dir) = generated_copy(&fleet);
    let eval = |inputs: &str| {
        let expr = format!(
            "let lib = import <nixpkgs/lib>; gen = import {gen} {{ inputs = {inputs}; }}; in \
             (lib.evalModules {{ modules = [ gen.modules.alpha {{ _module.check = false; }} ]; }}).config.services",
            gen = nix_string(&dir.join("generated/inventory")),
        );
        nix_instantiate(&dir, &["--eval", "--strict", "-E", &expr])
    };
    // No clan-core at all.
    let out = eval("{ }");
    assert!(!out.ok, "evaluation without clan-core succeeded");
    for needle in [
        "instance 'admin'",
        "flake input 'clan-core'",
        "given no input 'clan-core'",
        "inputs.clan-core.url",
        "lib.mkConfigurations { inherit inputs;",
    ] {
        assert!(
            out.stderr.contains(needle),
            "error lacks {needle:?}:\n{}",
            out.stderr
        );
    }
    assert!(
        !out.stderr.contains("attribute 'clan-core' missing"),
        "{}",
        out.stderr
    );
    // A clan-core without the service.
    let out = eval("{ clan-core.clan.modules = { }; }");
    assert!(!out.ok);
    assert!(
        out.stderr
            .contains("'clan-core' has no `clan.modules.admin`"),
        "{}",
        out.stderr
    );
}

/// The vars generators of a machine in an observation of `oracle.nix`: `{ <g>: [<file>…] }`.
fn oracle_generators(machine: &Value) -> BTreeSet<(String, Vec<String>)> {
    let generators = &machine["clan"]["core"]["vars"]["generators"];
    generators
        .as_object()
        .map(|gs| {
            gs.iter()
                .map(|(g, v)| {
                    let files = v["files"]
                        .as_object()
                        .map(|f| f.keys().cloned().collect())
                        .unwrap_or_default();
                    (g.clone(), files)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn mk_configurations_with_clan_core_gives_clans_machine_base() {
    let test = "mk_configurations_with_clan_core_gives_clans_machine_base";
    if !have_nixpkgs_lib(test) || !have_clan_core(test) {
        return;
    }
    let Some(observe) = observe_harness(test) else {
        return;
    };
    let here = repo_root().join("tests/nix/clan-services");
    let (_temp, dir) = generated_copy(&here.join("network"));
    let args = |file: &'static str| -> Vec<String> {
        let mut v: Vec<String> = ["--eval", "--strict", "--json", file, "--argstr", "dir"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.push(dir.to_str().unwrap().to_string());
        if file == "machine-base.nix" {
            v.extend(["--argstr".into(), "generated".into()]);
            v.push(
                dir.join("generated/inventory")
                    .to_str()
                    .unwrap()
                    .to_string(),
            );
        }
        v.extend(["--arg".into(), "observe".into()]);
        v.push(observe.to_str().unwrap().to_string());
        v
    };
    let run = |file: &'static str| -> Value {
        let a = args(file);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = nix_instantiate(&here, &a);
        assert!(out.ok, "{file} failed:\n{}", out.stderr);
        serde_json::from_str(&out.stdout).expect("JSON")
    };
    let oracle = run("oracle.nix");
    let ours = run("machine-base.nix");
    let mut clan_core_own: Option<BTreeSet<String>> = None;
    // clan's vars settings reach every machine through clanConfig when given; clan-core's
    // default otherwise.
    for (m, store) in ours["withVars"].as_object().expect("withVars") {
        assert_eq!(store, "password-store", "{m}");
        assert_eq!(ours[m]["secretStore"], "sops", "{m}");
    }
    for (m, obs) in ours.as_object().expect("machines") {
        if m == "withVars" {
            continue;
        }
        // clan's settings from meta and the machine.
        assert_eq!(obs["settings"]["name"], "network", "{m}");
        assert_eq!(obs["settings"]["domain"], "clan", "{m}");
        assert_eq!(obs["settings"]["machine"], m.as_str(), "{m}");
        assert_eq!(obs["settings"]["directory"], dir.to_str().unwrap(), "{m}");
        // Every generator the machine's services declare in clan-core, with the same files.
        let want = oracle_generators(&oracle[m]);
        assert!(!want.is_empty(), "{m}: clan-core gives it no generator");
        let got: BTreeSet<(String, Vec<String>)> = obs["generators"]
            .as_object()
            .expect("generators")
            .iter()
            .map(|(g, files)| {
                let files = files
                    .as_array()
                    .expect("file names")
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .collect();
                (g.clone(), files)
            })
            .collect();
        let missing: Vec<_> = want.difference(&got).collect();
        assert!(
            missing.is_empty(),
            "{m}: generators missing or different: {missing:?}"
        );
        // The rest are clanCore's own generators, the same on every NixOS machine.
        if m != "mac" {
            let extra: BTreeSet<String> = got.difference(&want).map(|(g, _)| g.clone()).collect();
            match &clan_core_own {
                None => clan_core_own = Some(extra),
                Some(own) => assert_eq!(own, &extra, "{m}: generators beyond its services'"),
            }
        }
    }
}

/// Evaluates machine `machine` of the generated fleet in `dir` under a bare `lib.evalModules`
/// (a freeform root), with the clan-core stand-in as `inputs.clan-core`.
fn eval_machine(dir: &Path, machine: &str) -> common::NixOutput {
    let expr = format!(
        "let lib = import <nixpkgs/lib>; \
         clan-core = import {stand_in} {{ inherit lib; }}; \
         gen = import {gen} {{ inputs = {{ inherit clan-core; }}; }}; in \
         builtins.removeAttrs (lib.evalModules {{ modules = [ {{ freeformType = lib.types.lazyAttrsOf lib.types.anything; }} gen.modules.{machine} ]; }}).config [ \"_module\" ]",
        stand_in = nix_string(&repo_root().join("tests/nix/clan-services/clan-core.nix")),
        gen = nix_string(&dir.join("generated/inventory")),
    );
    nix_instantiate(dir, &["--eval", "--strict", "--json", "-E", &expr])
}

/// clan-core's evaluation of one machine of the fleet in `dir` (`oracle.nix`).
fn oracle_machine(dir: &Path, observe: &Path, machine: &str) -> common::NixOutput {
    nix_instantiate(
        &repo_root().join("tests/nix/clan-services"),
        &[
            "--eval",
            "--strict",
            "--json",
            "oracle.nix",
            "--argstr",
            "dir",
            dir.to_str().unwrap(),
            "--arg",
            "observe",
            observe.to_str().unwrap(),
            "--argstr",
            "machine",
            machine,
        ],
    )
}

#[test]
fn exports_are_evaluated_where_read_and_fail_as_in_clan_core() {
    let test = "exports_are_evaluated_where_read_and_fail_as_in_clan_core";
    if !have_nixpkgs_lib(test) || !have_clan_core(test) {
        return;
    }
    let here = repo_root().join("tests/nix/clan-exports");

    // Only services that export are run for other machines: grumpy (no `exports.out`), which
    // fails for b, is never run for b when a reads the exports; c reads none.
    let (_lazy_temp, lazy) = generated_copy(&here.join("lazy"));
    let a = eval_machine(&lazy, "a");
    assert!(a.ok, "a failed:\n{}", a.stderr);
    let a: Value = serde_json::from_str(&a.stdout).unwrap();
    assert_eq!(a["peers"], serde_json::json!(["a", "b", "c"]));
    assert_eq!(
        a["keys"],
        serde_json::json!([
            "beacon:beacon:default:a",
            "beacon:beacon:default:b",
            "beacon:beacon:default:c"
        ])
    );
    let c = eval_machine(&lazy, "c");
    assert!(c.ok, "c failed:\n{}", c.stderr);
    assert_eq!(
        serde_json::from_str::<Value>(&c.stdout).unwrap(),
        serde_json::json!({ "beacon": true })
    );

    // Errors where exports are read, with clan-core's messages; none where they are not.
    let (_errors_temp, errors) = generated_copy(&here.join("errors"));
    let q = eval_machine(&errors, "q");
    assert!(q.ok, "q (reads no exports) failed:\n{}", q.stderr);
    let cases: &[(&str, &[&str])] = &[
        (
            "r",
            &[
                "Export scope mismatch: incorrect service name",
                "Scope key: \"someone-else:::p\"",
                "Export validation failed in service 'liar'",
            ],
        ),
        ("s", &["the export of q was read"]),
    ];
    let observe = observe_harness(test);
    for (machine, needles) in cases {
        let ours = eval_machine(&errors, machine);
        assert!(!ours.ok, "{machine} evaluated");
        for needle in *needles {
            assert!(
                ours.stderr.contains(needle),
                "{machine}: ours lacks {needle:?}:\n{}",
                ours.stderr
            );
        }
        if let Some(observe) = &observe {
            let theirs = oracle_machine(&errors, observe, machine);
            assert!(!theirs.ok, "{machine} evaluated in clan-core");
            for needle in *needles {
                assert!(
                    theirs.stderr.contains(needle),
                    "{machine}: clan-core lacks {needle:?}:\n{}",
                    theirs.stderr
                );
            }
        }
    }
    // The documented difference: clan-core runs every service for the exports, grumpy too.
    if let Some(observe) = &observe {
        let theirs = oracle_machine(&lazy, observe, "a");
        assert!(
            !theirs.ok && theirs.stderr.contains("grumpy was run for b"),
            "clan-core no longer runs services without exports.out for the exports: update docs/clan-core.md\n{}",
            theirs.stderr
        );
    }
}
