//! Checks `nix/runtime.nix` with real Nix against answers that come from clan-core.
//!
//! - `tests/cases/<case>/`: flakes whose `expected.json` clan-core itself produced (see
//!   `../shared/examples/README.md`), with a hand-written `generated/inventory/` in the format
//!   of `docs/generated-files.md`. The `legacy-*` cases use the legacy `services` API, which
//!   today's clan-core cannot evaluate: their `expected.json` was reasoned from the legacy
//!   builder's semantics (clan-core `308a10d6e^:lib/modules/inventoryClass/builder/`), and
//!   their test modules record what they receive.
//! - `tests/nix/runtime/<case>/`: small hand-written generated directories with test service
//!   modules that record what they receive. Their `expected.json` was written by reasoning from
//!   clan-core's semantics and its tests (`lib/inventory/distributed-service/tests/`), and each
//!   case's `clan.nix` is the inventory the directory stands for.
//!
//! For every machine `m` of `expected.json` the observation of `tests/nix/observe.nix`,
//! `observe [ (import ./generated/inventory { inputs = { }; }).modules.m ]` (with `inputs` from
//! the case's `inputs.nix` when it has one: stand-ins for flake inputs), must equal the
//! expected entry exactly. No normalisation is needed: no list in these cases is built by
//! concatenating definitions from several modules.

mod common;

use common::{have_nixpkgs_lib, nix_eval_json, nix_instantiate, repo_root};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Machines of `tests/nix/runtime/errors` whose evaluation must fail, with what the error must say.
const ERRORS: &[(&str, &[&str])] = &[
    // Scalars defined by two settings layers without priorities conflict, as in clan-core; the
    // error names the option as clan-core does and says which layer each value came from.
    (
        "jon",
        &[
            "The option `self-A.instances.conflict.roles.peer.machines.jon.settings.timeout' has conflicting definition values",
            "via inventory.instances.conflict.roles.peer.settings'",
            "via inventory.instances.conflict.roles.peer.machines.jon.settings'",
        ],
    ),
    // A setting the role's interface does not declare.
    (
        "sara",
        &[
            "The option `self-A.instances.typo.roles.peer.machines.sara.settings.timeot' does not exist",
        ],
    ),
    // A role the service does not define: the error lists the unknown and the defined roles.
    (
        "hxi",
        &[
            "Instance 'strange' uses the following roles:",
            "[\"client\"]",
            "[\"peer\",\"server\"]",
        ],
    ),
    // perMachine has no `settings` argument.
    ("kim", &["'perMachine' doesn't have a 'settings' argument"]),
    // clanLib comes from the `clan-core` input; without it, using it names the service and
    // the input to add.
    (
        "lea",
        &[
            "clan.service module self/C uses `clanLib`",
            "no input `clan-core`",
            "inputs.clan-core.url",
        ],
    ),
    // Unknown keys of a clan.service module are errors, as in clan-core.
    (
        "max",
        &["The option `self-D.manifest.features' does not exist"],
    ),
    // The stub names an instance file that throws when imported (ok, which does not name it,
    // evaluates: see expected.json).
    ("ned", &["instances/poison.nix must not be imported"]),
    // The stub names a role its instance file does not define (found when the stub is read).
    (
        "tom",
        &[
            "The generated files are out of date",
            "defines no role [\"server\"]",
        ],
    ),
    // The stub disagrees with the instance's members file (found when a service reads the
    // members: service E lists its peers).
    (
        "uma",
        &[
            "The generated files are out of date",
            "makes it a member of []",
        ],
    ),
    // Legacy `config` layers are separate definitions of `clan.<module>`: conflicting scalars
    // without priorities fail as in clan-core's `mkMerge`, and the error names both layers.
    (
        "lex",
        &[
            "The option `clan.recorder.port' has conflicting definition values",
            "via inventory.services.recorder.clash.config'",
            "via inventory.services.recorder.clash.machines.lex.config'",
        ],
    ),
    // A stale stub of a legacy instance.
    (
        "leg",
        &[
            "in legacy instance 'recorder.stale'",
            "The generated files are out of date",
        ],
    ),
];

fn observe_nix() -> PathBuf {
    repo_root().join("tests/nix/observe.nix")
}

/// Directories under `tests/<under>` that hold an `expected.json`, sorted.
fn cases(under: &str) -> Vec<PathBuf> {
    let root = repo_root().join("tests").join(under);
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("read {}: {e}", root.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|dir| dir.join("expected.json").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no cases under {}", root.display());
    dirs
}

/// A Nix string literal for a machine name.
fn nix_string(s: &str) -> String {
    assert!(!s.contains("${"), "machine name {s:?} contains `${{`");
    serde_json::to_string(s).expect("string to JSON")
}

/// The README's observation expression for machine `m`.
fn observation(m: &str) -> String {
    format!(
        "let lib = import <nixpkgs/lib>; \
         observe = (import {observe} {{ inherit lib; }}).observe; \
         inputs = if builtins.pathExists ./inputs.nix then import ./inputs.nix else {{ }}; \
         in observe [ (import ./generated/inventory {{ inherit inputs; }}).modules.{m} ]",
        observe = observe_nix().display(),
        m = nix_string(m),
    )
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// Where `actual` first differs from `expected`, as a path like `mesh.backbone.node.keepalive`.
fn first_difference(path: &str, expected: &Value, actual: &Value) -> Option<String> {
    let here = || {
        Some(format!(
            "at `{}`: expected {expected}, got {actual}",
            if path.is_empty() { "." } else { path }
        ))
    };
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let keys: BTreeSet<&String> = e.keys().chain(a.keys()).collect();
            keys.into_iter().find_map(|k| {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (e.get(k), a.get(k)) {
                    (Some(ev), Some(av)) => first_difference(&sub, ev, av),
                    (Some(_), None) => Some(format!("at `{sub}`: missing")),
                    (None, Some(av)) => Some(format!("at `{sub}`: unexpected {av}")),
                    (None, None) => None,
                }
            })
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (ev, av))| first_difference(&format!("{path}[{i}]"), ev, av)),
        _ if expected == actual => None,
        _ => here(),
    }
}

/// Evaluates every machine of every case under `tests/<under>`; returns the failures.
fn check_cases(under: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for dir in cases(under) {
        let expected = read_json(&dir.join("expected.json"));
        let machines = expected.as_object().expect("expected.json is an object");
        for (machine, want) in machines {
            let name = format!("{}: {machine}", dir.display());
            match nix_eval_json(&dir, &observation(machine)) {
                Err(stderr) => failures.push(format!("{name}: evaluation failed:\n{stderr}")),
                Ok(got) => {
                    if let Some(diff) = first_difference("", want, &got) {
                        failures.push(format!(
                            "{name}: {diff}\nexpected:\n{}\ngot:\n{}",
                            serde_json::to_string_pretty(want).unwrap(),
                            serde_json::to_string_pretty(&got).unwrap()
                        ));
                    }
                }
            }
        }
    }
    failures
}

fn assert_no_failures(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn examples_match_clan_core() {
    if !have_nixpkgs_lib("examples_match_clan_core") {
        return;
    }
    assert_no_failures(check_cases("cases"));
}

#[test]
fn runtime_cases_match_expected() {
    if !have_nixpkgs_lib("runtime_cases_match_expected") {
        return;
    }
    assert_no_failures(check_cases("nix/runtime"));
}

#[test]
fn runtime_errors_say_what_is_wrong() {
    if !have_nixpkgs_lib("runtime_errors_say_what_is_wrong") {
        return;
    }
    let dir = repo_root().join("tests/nix/runtime/errors");
    let mut failures = Vec::new();
    for (machine, needles) in ERRORS {
        let out = nix_instantiate(
            &dir,
            &["--eval", "--strict", "--json", "-E", &observation(machine)],
        );
        if out.ok {
            failures.push(format!(
                "{machine}: evaluation succeeded, expected an error; got {}",
                out.stdout
            ));
            continue;
        }
        // Nix indents continuation lines of a message; compare with that removed.
        let stderr: String = out
            .stderr
            .lines()
            .map(str::trim_start)
            .collect::<Vec<_>>()
            .join("\n");
        for needle in *needles {
            if !stderr.contains(needle) {
                failures.push(format!(
                    "{machine}: error lacks {needle:?}:\n{}",
                    out.stderr
                ));
            }
        }
    }
    assert_no_failures(failures);
}

/// Every machine of a case is checked: by its `expected.json`, or (errors case) by `ERRORS`.
#[test]
fn every_machine_is_checked() {
    let errors: BTreeSet<String> = ERRORS.iter().map(|(m, _)| m.to_string()).collect();
    for dir in cases("cases").into_iter().chain(cases("nix/runtime")) {
        let listed = nix_eval_json(
            &dir,
            "builtins.attrNames (import ./generated/inventory { inputs = { }; }).modules",
        )
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let listed: BTreeSet<String> = listed
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| v.as_str().expect("a name").to_string())
            .collect();
        let mut checked: BTreeSet<String> = read_json(&dir.join("expected.json"))
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        if dir.ends_with("nix/runtime/errors") {
            checked.extend(errors.iter().cloned());
        }
        assert_eq!(listed, checked, "{}", dir.display());
    }
}

/// clan-core warns about roles without a description and a missing readme, on NixOS only. The
/// runtime does so only where the importing system declares `warnings`.
#[test]
fn warnings_only_where_declared() {
    if !have_nixpkgs_lib("warnings_only_where_declared") {
        return;
    }
    let dir = repo_root().join("tests/nix/runtime/classes");
    let service_a = [
        "Missing description for role 'peer' of clanService 'self/A'",
        "Missing description for role 'server' of clanService 'self/A'",
        "Missing manifest.readme for clanService 'self/A'",
    ];
    let cases: [(&str, &[&str]); 3] = [
        ("jon", &service_a),
        // A darwin machine gets no warnings (clan-core adds them to nixosModule only).
        ("kim", &[]),
        // Service `inline` has descriptions and a readme.
        ("lou", &service_a),
    ];
    for (machine, want) in cases {
        // observe.nix drops `warnings`, so evaluate the machine directly.
        let expr = format!(
            "let lib = import <nixpkgs/lib>; \
             base = (import {observe} {{ inherit lib; }}).base; \
             warnings.options.warnings = lib.mkOption {{ type = lib.types.listOf lib.types.str; default = [ ]; }}; \
             machine = (import ./generated/inventory {{ inputs = {{ }}; }}).modules.{m}; \
             in (lib.evalModules {{ modules = [ base warnings machine ]; }}).config.warnings",
            observe = observe_nix().display(),
            m = nix_string(machine),
        );
        let got = nix_eval_json(&dir, &expr).unwrap_or_else(|e| panic!("{machine}: {e}"));
        assert_eq!(got, serde_json::json!(want), "{machine}");
    }
}

/// Each fixture's `runtime.nix` is the header line followed by `nix/runtime.nix`, and every
/// generated file starts with the header line.
#[test]
fn fixture_runtimes_are_copies_of_nix_runtime() {
    let runtime = fs::read_to_string(repo_root().join("nix/runtime.nix")).expect("nix/runtime.nix");
    let mut seen = 0;
    for dir in cases("cases").into_iter().chain(cases("nix/runtime")) {
        let generated = dir.join("generated/inventory");
        // Every file below the directory: machines/, instances/ and the legacy services/<m>/.
        let mut files = Vec::new();
        let mut stack = vec![generated.clone()];
        while let Some(d) = stack.pop() {
            for entry in fs::read_dir(&d).expect("generated directory") {
                let path = entry.expect("directory entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        assert!(
            files.contains(&generated.join("default.nix"))
                && files.contains(&generated.join("runtime.nix")),
            "{}: default.nix or runtime.nix missing",
            generated.display()
        );
        for file in files {
            let text = fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
            let (header, rest) = text.split_once('\n').expect("more than one line");
            assert!(
                header.starts_with("# Generated by inventory-gen ")
                    && header.ends_with(" Do not edit: run `inventory-gen` to update."),
                "{}: bad header line {header:?}",
                file.display()
            );
            if file.ends_with("runtime.nix") {
                assert!(
                    rest == runtime,
                    "{} is not the header line followed by nix/runtime.nix",
                    file.display()
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 2, "no fixture runtime.nix found");
}
