//! `inventory-gen schema` checked with a real JSON Schema validator (the `jsonschema` crate,
//! draft 2020-12):
//!
//! - the schema is itself valid against the draft 2020-12 meta-schema;
//! - the inventory of every fixture (`tests/cases/*`, `tests/eval/*`, `templates/*`), as
//!   `inventory-gen eval` prints it, validates, except `err-bad-names`, whose names and
//!   `machineClass` the reader rejects too. `extraModules` entries are emptied first: they are
//!   Nix paths or inline modules, which `eval` prints as strings but JSON cannot express (a string
//!   there is rejected by clan-core and by the reader, and by the schema);
//! - broken inventories (a list for `roles.<r>.machines`, `machineClass = "windows"`, an unknown
//!   top-level key, tags that are not strings, …) are rejected by the schema, and by the tool
//!   when written as a flake's `inventory.json`, so the two agree.

mod common;

use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::PathBuf;

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("inventory-gen").expect("binary");
    cmd.env("NO_COLOR", "1");
    // The statically read inventories: no island is left to Nix (tests/islands.rs).
    cmd.env("INVENTORY_GEN_NO_NIX", "1");
    cmd
}

fn schema() -> Value {
    let out = bin().arg("schema").output().expect("run");
    assert!(out.status.success(), "schema failed");
    assert!(out.stderr.is_empty(), "schema printed diagnostics");
    serde_json::from_slice(&out.stdout).expect("schema is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("schema compiles")
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Every fixture flake directory.
fn fixtures() -> Vec<PathBuf> {
    let root = common::repo_root();
    let mut dirs: Vec<PathBuf> = ["tests/cases", "tests/eval", "templates"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).expect("fixture directory"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("flake.nix").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// Empties every `instances.<i>.roles.<r>.extraModules`: Nix-only values (see the header).
fn without_nix_only_values(inventory: &mut Value) -> usize {
    let mut emptied = 0;
    if let Some(instances) = inventory
        .get_mut("instances")
        .and_then(Value::as_object_mut)
    {
        for instance in instances.values_mut() {
            if let Some(roles) = instance.get_mut("roles").and_then(Value::as_object_mut) {
                for role in roles.values_mut() {
                    if let Some(list) = role.get_mut("extraModules").and_then(Value::as_array_mut)
                        && !list.is_empty()
                    {
                        list.clear();
                        emptied += 1;
                    }
                }
            }
        }
    }
    emptied
}

#[test]
fn the_schema_is_valid_draft_2020_12() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        json!("https://json-schema.org/draft/2020-12/schema")
    );
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        panic!("the schema is not valid draft 2020-12: {e}");
    }
}

/// The codes of the diagnostics `check --format json` reports for a flake.
fn check_codes(flake: &std::path::Path) -> (Option<i32>, Vec<(String, String)>) {
    let out = bin()
        .args(["check", "--format", "json", "--flake"])
        .arg(flake)
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&out.stderr).unwrap_or(Value::Null);
    let codes = report["diagnostics"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|d| {
                    let text = |k: &str| d[k].as_str().unwrap_or_default().to_string();
                    (text("code"), text("message"))
                })
                .collect()
        })
        .unwrap_or_default();
    (out.status.code(), codes)
}

/// Whether the reader rejects the inventory's shape: a wrong type, an unknown key, or a name
/// that cannot be a file name (a collision by case alone is beyond a schema).
fn shape_rejected(codes: &[(String, String)]) -> bool {
    codes.iter().any(|(code, message)| {
        matches!(code.as_str(), "wrong-type" | "unknown-key")
            || (code == "bad-name" && message.contains("cannot be used"))
    })
}

#[test]
fn every_fixture_inventory_validates_exactly_when_the_reader_accepts_its_shape() {
    let validator = validator();
    let mut checked = 0;
    let mut rejected = Vec::new();
    let mut failures = Vec::new();
    for dir in fixtures() {
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let out = bin()
            .arg("eval")
            .arg("--flake")
            .arg(&dir)
            .output()
            .expect("run");
        if !out.status.success() {
            // Fixtures that cannot be read at all (syntax errors, conflicts) have no inventory.
            assert!(
                name.starts_with("err-"),
                "{name}: eval failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            continue;
        }
        let mut inventory: Value = serde_json::from_slice(&out.stdout).expect("eval is JSON");
        without_nix_only_values(&mut inventory);
        let problems = errors(&validator, &inventory);
        let (_, codes) = check_codes(&dir);
        checked += 1;
        if shape_rejected(&codes) {
            rejected.push(name.clone());
            if problems.is_empty() {
                failures.push(format!(
                    "{name}: the reader rejects it ({codes:?}) but the schema accepts it"
                ));
            }
        } else if !problems.is_empty() {
            failures.push(format!(
                "{name}: the reader accepts its shape, the schema does not:\n  {}",
                problems.join("\n  ")
            ));
        }
    }
    assert!(checked >= 40, "only {checked} fixtures were checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The bad names of err-bad-names, dotted-names and unicode are rejected by both.
    assert!(rejected.len() >= 3, "rejected: {rejected:?}");
}

/// Broken inventories: (what is wrong, the inventory).
fn broken() -> Vec<(&'static str, Value)> {
    let instance = |role: Value| {
        json!({
            "machines": { "jon": {} },
            "instances": { "i": { "module": { "name": "m", "input": "self" }, "roles": { "peer": role } } }
        })
    };
    vec![
        (
            "a list for roles.<r>.machines",
            instance(json!({ "machines": ["jon"] })),
        ),
        (
            "machineClass windows",
            json!({ "machines": { "jon": { "machineClass": "windows" } } }),
        ),
        (
            "an unknown top-level key",
            json!({ "machines": {}, "machnes": {} }),
        ),
        (
            "machine tags that are not strings",
            json!({ "machines": { "jon": { "tags": [1, true] } } }),
        ),
        (
            "machine tags as a string",
            json!({ "machines": { "jon": { "tags": "server" } } }),
        ),
        (
            "inventory.tags members that are not strings",
            json!({ "machines": { "jon": {} }, "tags": { "t": [{ "name": "jon" }] } }),
        ),
        (
            "an unknown key in a machine",
            json!({ "machines": { "jon": { "class": "nixos" } } }),
        ),
        (
            "a machine name that cannot be a file name",
            json!({ "machines": { "web server": {} } }),
        ),
        ("role tags as a number", instance(json!({ "tags": 3 }))),
        (
            "role tag list entries that are not strings",
            instance(json!({ "tags": [["all"]] })),
        ),
        (
            "settings as a string",
            instance(json!({ "settings": "port=80" })),
        ),
        (
            "machine settings as a list",
            instance(json!({ "machines": { "jon": { "settings": [1] } } })),
        ),
        (
            "a string in extraModules",
            instance(json!({ "extraModules": ["modules/extra.nix"] })),
        ),
        (
            "module.name as a number",
            json!({ "instances": { "i": { "module": { "name": 1 } } } }),
        ),
    ]
}

#[test]
fn broken_inventories_are_rejected_by_the_schema_and_the_reader() {
    let validator = validator();
    let temp = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    for (n, (what, inventory)) in broken().into_iter().enumerate() {
        if validator.is_valid(&inventory) {
            failures.push(format!("schema accepts {what}: {inventory}"));
        }
        let flake = temp.path().join(format!("flake{n}"));
        std::fs::create_dir_all(&flake).expect("mkdir");
        std::fs::write(flake.join("flake.nix"), "{ outputs = inputs: { }; }\n").expect("write");
        std::fs::write(
            flake.join("inventory.json"),
            serde_json::to_string_pretty(&inventory).expect("json"),
        )
        .expect("write");
        let (code, codes) = check_codes(&flake);
        if code != Some(1) || !shape_rejected(&codes) {
            failures.push(format!(
                "the reader does not reject {what} (exit {code:?}, diagnostics {codes:?})"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_valid_inventory_json_is_accepted_by_both() {
    let inventory = json!({
        "meta": { "name": "demo", "description": null },
        "machines": {
            "jon": { "tags": ["a"], "deploy": { "targetHost": "root@jon" }, "installedAt": 1700000000 },
            "mac": { "machineClass": "darwin" }
        },
        "tags": { "b": ["jon"] },
        "instances": {
            "i": {
                "module": { "name": "m", "input": "self" },
                "roles": {
                    "peer": {
                        "machines": { "jon": { "settings": { "port": 1 } } },
                        "tags": { "a": { "settings": { "x": [1, "y"] } } },
                        "settings": { "nested": { "deep": true } },
                        "extraModules": []
                    },
                    "client": { "tags": ["b"] }
                }
            }
        }
    });
    assert_eq!(errors(&validator(), &inventory), Vec::<String>::new());
    let temp = tempfile::tempdir().expect("tempdir");
    let flake = temp.path();
    std::fs::write(
        flake.join("flake.nix"),
        "{ outputs = inputs: { inventory = { }; modules.m = ./m.nix; }; }\n",
    )
    .expect("write");
    std::fs::write(
        flake.join("m.nix"),
        "{ roles.peer = { }; roles.client = { }; }\n",
    )
    .expect("write");
    std::fs::write(
        flake.join("inventory.json"),
        serde_json::to_string(&inventory).expect("json"),
    )
    .expect("write");
    let out = bin()
        .arg("check")
        .arg("--flake")
        .arg(flake)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Up to date is impossible (nothing was generated): stale (exit 1) without diagnostics.
    assert!(stderr.is_empty(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("would create"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
