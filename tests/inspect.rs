//! `inventory-gen show` and `graph`, run through the real binary.
//!
//! - Snapshots: the outputs listed in [`SNAPSHOTS`] are compared with files next to the fixtures
//!   (`tests/cases/<name>/inspect/…`, and `docs/graph.dot`, the source of `docs/graph.png`);
//!   the failing invocations in [`ERRORS`] with one transcript. `INVENTORY_GEN_BLESS=1 cargo
//!   test --test inspect` rewrites them; review the diff before committing.
//! - DOT output of every working fixture, whole and filtered, is parsed by Graphviz's `dot`
//!   (skipped with a SKIP line when `dot` is not installed; `.ci/run` installs it).
//! - Every JSON output (`show`, `show MACHINE`, `graph`, diagnostics) parses and carries
//!   `"version": 1`.
//! - `show` and `graph` agree: the graph's edges are exactly the machines' memberships.
//! - Names that need escaping (quotes, backslashes, `<>`, Mermaid keywords) give valid output.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn bless() -> bool {
    std::env::var_os("INVENTORY_GEN_BLESS").is_some()
}

/// Runs the binary in the repository root, so flake paths and outputs are relative.
fn run(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("inventory-gen")
        .expect("binary")
        .current_dir(common::repo_root())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run")
}

fn run_in(flake: &Path, args: &[&str]) -> std::process::Output {
    let mut all: Vec<&str> = args.to_vec();
    let flake = flake.to_str().expect("utf-8 path");
    all.extend(["--flake", flake]);
    run(&all)
}

/// (flake, arguments, snapshot file), all relative to the repository root.
const SNAPSHOTS: &[(&str, &[&str], &str)] = &[
    (
        "tests/cases/mesh",
        &["show"],
        "tests/cases/mesh/inspect/show.txt",
    ),
    (
        "tests/cases/mesh",
        &[
            "show", "--tag", "roaming", "--tag", "nixos", "--format", "json",
        ],
        "tests/cases/mesh/inspect/show-tag-roaming-nixos.json",
    ),
    (
        "tests/cases/mesh",
        &["show", "db"],
        "tests/cases/mesh/inspect/show-db.txt",
    ),
    (
        "tests/cases/mesh",
        &["show", "db", "--format", "json"],
        "tests/cases/mesh/inspect/show-db.json",
    ),
    (
        "tests/cases/mesh",
        &["show", "laptop"],
        "tests/cases/mesh/inspect/show-laptop.txt",
    ),
    (
        "tests/cases/mesh",
        &["show", "macbook"],
        "tests/cases/mesh/inspect/show-macbook.txt",
    ),
    (
        "tests/cases/mesh",
        &["graph"],
        "tests/cases/mesh/inspect/graph.dot",
    ),
    (
        "tests/cases/mesh",
        &["graph", "--format", "json"],
        "tests/cases/mesh/inspect/graph.json",
    ),
    (
        "tests/cases/mesh",
        &["graph", "--format", "mermaid"],
        "tests/cases/mesh/inspect/graph.mmd",
    ),
    (
        "tests/cases/mesh",
        &["graph", "--format", "dot", "--machine", "db"],
        "tests/cases/mesh/inspect/graph-machine-db.dot",
    ),
    (
        "tests/cases/mesh",
        &["graph", "--format", "json", "--instance", "storage"],
        "tests/cases/mesh/inspect/graph-instance-storage.json",
    ),
    (
        "tests/cases/office",
        &["show"],
        "tests/cases/office/inspect/show.txt",
    ),
    (
        "tests/cases/office",
        &["show", "reception"],
        "tests/cases/office/inspect/show-reception.txt",
    ),
    (
        "tests/cases/office",
        &["show", "reception", "--format", "json"],
        "tests/cases/office/inspect/show-reception.json",
    ),
    (
        "tests/cases/office",
        &["graph", "--format", "dot"],
        "tests/cases/office/inspect/graph.dot",
    ),
    (
        "tests/cases/office",
        &["graph", "--format", "json"],
        "tests/cases/office/inspect/graph.json",
    ),
    (
        "tests/cases/office",
        &["graph", "--format", "mermaid"],
        "tests/cases/office/inspect/graph.mmd",
    ),
    (
        "tests/cases/seeds",
        &["show", "jon"],
        "tests/cases/seeds/inspect/show-jon.txt",
    ),
    (
        "tests/cases/seeds",
        &["graph", "--format", "dot"],
        "tests/cases/seeds/inspect/graph.dot",
    ),
    (
        "templates/default",
        &["graph", "--format", "dot"],
        "docs/graph.dot",
    ),
    (
        "tests/cases/legacy-two-instances",
        &["graph", "--format", "json"],
        "tests/cases/legacy-two-instances/inspect/graph.json",
    ),
    (
        "tests/cases/legacy-two-instances",
        &["graph", "--format", "dot"],
        "tests/cases/legacy-two-instances/inspect/graph.dot",
    ),
    (
        "tests/cases/legacy-two-instances",
        &["graph", "--format", "mermaid", "--machine", "backup_server"],
        "tests/cases/legacy-two-instances/inspect/graph-machine-backup_server.mmd",
    ),
    (
        "tests/cases/legacy-two-instances",
        &["show", "backup_server"],
        "tests/cases/legacy-two-instances/inspect/show-backup_server.txt",
    ),
    (
        "tests/cases/legacy-two-instances",
        &["show", "backup_server", "--format", "json"],
        "tests/cases/legacy-two-instances/inspect/show-backup_server.json",
    ),
];

/// Failing invocations, recorded in one transcript: (arguments, expected exit code).
const ERRORS: &[(&[&str], i32)] = &[
    (&["show", "dbb", "--flake", "tests/cases/mesh"], 2),
    (&["show", "nobody", "--flake", "tests/cases/mesh"], 2),
    (
        &["show", "--tag", "rooming", "--flake", "tests/cases/mesh"],
        2,
    ),
    (
        &[
            "show",
            "--tag",
            "dc",
            "--tag",
            "darwin",
            "--flake",
            "tests/cases/mesh",
        ],
        0,
    ),
    (
        &[
            "graph",
            "--instance",
            "storag",
            "--flake",
            "tests/cases/mesh",
        ],
        2,
    ),
    (
        &[
            "graph",
            "--machine",
            "x",
            "--format",
            "json",
            "--flake",
            "tests/cases/mesh",
        ],
        2,
    ),
    (
        &[
            "show",
            "db",
            "--format",
            "dot",
            "--flake",
            "tests/cases/mesh",
        ],
        2,
    ),
    (&["schema", "--format", "mermaid"], 2),
    (
        &["show", "db", "--tag", "dc", "--flake", "tests/cases/mesh"],
        2,
    ),
    (&["show", "--flake", "tests/cases/err-unknown-role"], 1),
    (&["show", "--flake", "tests/cases/warn-unused-tag"], 0),
];

fn compare(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if bless() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, actual).expect("bless");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        failures.push(format!(
            "{} differs (INVENTORY_GEN_BLESS=1 to accept):\n{}",
            path.display(),
            similar::TextDiff::from_lines(&expected, actual)
                .unified_diff()
                .header("expected", "actual")
        ));
    }
}

#[test]
fn snapshots() {
    let root = common::repo_root();
    let mut failures = Vec::new();
    for (flake, args, file) in SNAPSHOTS {
        let out = run_in(Path::new(flake), args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Warnings (a legacy flake's) may be printed; errors may not.
        assert!(
            out.status.success() && !stderr.contains("error["),
            "{flake} {args:?}: exit {:?}\n{stderr}",
            out.status.code()
        );
        assert!(
            !stdout.contains(&*root.to_string_lossy()),
            "{flake} {args:?}: absolute path in the output"
        );
        compare(&root.join(file), &stdout, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn failing_invocations() {
    let root = common::repo_root();
    let mut log = String::new();
    let mut codes = Vec::new();
    for (args, _) in ERRORS {
        let out = run(args);
        let code = out.status.code().unwrap_or(-1);
        codes.push(code);
        log.push_str(&format!(
            "$ inventory-gen {}\nexit: {code}\n--- stdout\n{}--- stderr\n{}\n",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let expected: Vec<i32> = ERRORS.iter().map(|(_, c)| *c).collect();
    assert_eq!(codes, expected, "exit codes:\n{log}");
    let mut failures = Vec::new();
    compare(
        &root.join("tests/cases/mesh/inspect/errors.txt"),
        &log,
        &mut failures,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every working fixture flake (it has generated files), relative to the repository root.
fn working() -> Vec<PathBuf> {
    let root = common::repo_root();
    let mut dirs: Vec<PathBuf> = ["tests/cases", "templates"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).expect("fixture directory"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("flake.nix").is_file() && p.join("generated").is_dir())
        .map(|p| p.strip_prefix(&root).expect("below").to_path_buf())
        .collect();
    dirs.sort();
    dirs
}

fn json_of(out: &std::process::Output, what: &str) -> Value {
    assert!(
        out.status.success(),
        "{what}: exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let value: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
    assert_eq!(value["version"], 1, "{what}: no version 1");
    value
}

/// Machine names of a fixture, from `show --format json`.
fn machines(flake: &Path) -> Vec<String> {
    let list = json_of(&run_in(flake, &["show", "--format", "json"]), "show");
    list["machines"]
        .as_array()
        .expect("machines")
        .iter()
        .map(|m| m["name"].as_str().expect("name").to_string())
        .collect()
}

#[test]
fn json_outputs_parse_and_carry_a_version() {
    for flake in working() {
        let names = machines(&flake);
        assert!(!names.is_empty(), "{}: no machines", flake.display());
        json_of(&run_in(&flake, &["graph", "--format", "json"]), "graph");
        for m in &names {
            json_of(&run_in(&flake, &["show", m, "--format", "json"]), "show M");
            json_of(
                &run_in(&flake, &["graph", "--machine", m, "--format", "json"]),
                "graph --machine",
            );
        }
        json_of(&run_in(&flake, &["check", "--format", "json"]), "check");
    }
    // Diagnostics are JSON on stderr, with the same version.
    let out = run(&[
        "show",
        "nobody",
        "--format",
        "json",
        "--flake",
        "tests/cases/mesh",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let diagnostics: Value = serde_json::from_slice(&out.stderr).expect("JSON diagnostics");
    assert_eq!(diagnostics["version"], 1);
    assert_eq!(diagnostics["diagnostics"][0]["code"], "usage");
}

#[test]
fn show_and_graph_agree() {
    for flake in working() {
        let graph = json_of(&run_in(&flake, &["graph", "--format", "json"]), "graph");
        let edges = graph["edges"].as_array().expect("edges");
        for m in machines(&flake) {
            let show = json_of(&run_in(&flake, &["show", &m, "--format", "json"]), "show");
            let detail = &show["machine"];
            assert_eq!(detail["name"], m.as_str());
            let from_show: Vec<Value> = detail["memberships"]
                .as_array()
                .expect("memberships")
                .iter()
                .map(|ms| {
                    let instance = ms["instance"].as_str().expect("instance");
                    assert_eq!(
                        ms["module"],
                        graph["instances"][instance]["module"],
                        "{}: module of {instance}",
                        flake.display()
                    );
                    serde_json::json!({
                        "machine": m,
                        "instance": ms["instance"],
                        "role": ms["role"],
                        "reasons": ms["reasons"],
                        "settings": ms["settings"],
                    })
                })
                .collect();
            let mut from_graph: Vec<Value> = edges
                .iter()
                .filter(|e| e["machine"] == m.as_str())
                .cloned()
                .collect();
            let key = |v: &Value| format!("{}/{}", v["instance"], v["role"]);
            from_graph.sort_by_key(key);
            assert_eq!(from_show, from_graph, "{}: {m}", flake.display());
            // Legacy services: the same (module, instance, role) for the machine in both.
            let legacy_show: Vec<Value> = detail["legacyServices"]
                .as_array()
                .map(|all| {
                    all.iter()
                        .map(|l| {
                            serde_json::json!({
                                "machine": m,
                                "module": l["module"],
                                "instance": l["instance"],
                                "role": l["role"],
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let legacy_graph: Vec<Value> = graph["legacyEdges"]
                .as_array()
                .map(|all| {
                    all.iter()
                        .filter(|e| e["machine"] == m.as_str())
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(
                legacy_show,
                legacy_graph,
                "{}: {m} (legacy)",
                flake.display()
            );
            // The machine node is the same in both.
            for field in ["class", "location", "description", "tags"] {
                assert_eq!(
                    detail[field],
                    graph["machines"][&m][field],
                    "{}: {m}.{field}",
                    flake.display()
                );
            }
        }
    }
}

fn have_dot() -> bool {
    let ok = std::process::Command::new("dot")
        .arg("-V")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!(
            "SKIP dot_output_parses_with_graphviz: Graphviz's `dot` is not installed (apt-get install graphviz)"
        );
    }
    ok
}

/// Parses DOT text with Graphviz; returns its complaints.
fn graphviz(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut child = std::process::Command::new("dot")
        .arg("-Tcanon")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() && stderr.is_empty() {
        Ok(())
    } else {
        Err(stderr)
    }
}

#[test]
fn dot_output_parses_with_graphviz() {
    if !have_dot() {
        return;
    }
    for flake in working() {
        let whole = run_in(&flake, &["graph", "--format", "dot"]);
        let human = run_in(&flake, &["graph"]);
        assert_eq!(whole.stdout, human.stdout, "--format human is DOT");
        let mut graphs = vec![("whole".to_string(), whole)];
        let json = json_of(&run_in(&flake, &["graph", "--format", "json"]), "graph");
        for m in machines(&flake) {
            graphs.push((
                format!("--machine {m}"),
                run_in(&flake, &["graph", "--format", "dot", "--machine", &m]),
            ));
        }
        for i in json["instances"].as_object().expect("instances").keys() {
            graphs.push((
                format!("--instance {i}"),
                run_in(&flake, &["graph", "--format", "dot", "--instance", i]),
            ));
        }
        for (what, out) in graphs {
            assert!(out.status.success(), "{} {what}", flake.display());
            let text = String::from_utf8_lossy(&out.stdout);
            if let Err(e) = graphviz(&text) {
                panic!(
                    "{} {what}: Graphviz rejects the DOT:\n{e}\n{text}",
                    flake.display()
                );
            }
        }
    }
}

/// A flake whose role and tag names need escaping in every syntax.
fn odd_flake(dir: &Path) {
    std::fs::write(
        dir.join("flake.nix"),
        r#"{
  outputs = inputs: {
    modules.svc = ./svc.nix;
    inventory = {
      machines.a.tags = [ "say \"hi\"" "back\\slash" ];
      machines.end = { };
      instances.graph = {
        module = { name = "svc"; input = "self"; };
        roles."quote\"role".tags."say \"hi\"" = { };
        roles."<b>#1</b>".machines.end = { };
        roles."back\\slash".tags = [ "back\\slash" ];
        roles.subgraph.machines.a.settings.x = 1;
      };
    };
  };
}
"#,
    )
    .expect("write");
    std::fs::write(
        dir.join("svc.nix"),
        r#"{ roles."quote\"role" = { }; roles."<b>#1</b>" = { }; roles."back\\slash" = { }; roles.subgraph = { }; }
"#,
    )
    .expect("write");
}

#[test]
fn names_that_need_escaping_give_valid_output() {
    let temp = tempfile::tempdir().expect("tempdir");
    let flake = temp.path();
    odd_flake(flake);
    let graph = json_of(&run_in(flake, &["graph", "--format", "json"]), "graph");
    let roles = graph["instances"]["graph"]["roles"]
        .as_object()
        .expect("roles");
    assert!(roles.contains_key("quote\"role") && roles.contains_key("back\\slash"));
    assert_eq!(graph["edges"].as_array().expect("edges").len(), 4);

    let dot = run_in(flake, &["graph", "--format", "dot"]);
    assert!(dot.status.success());
    if have_dot() {
        let text = String::from_utf8_lossy(&dot.stdout);
        graphviz(&text).unwrap_or_else(|e| panic!("Graphviz rejects:\n{e}\n{text}"));
    }

    let mermaid = run_in(flake, &["graph", "--format", "mermaid"]);
    assert!(mermaid.status.success());
    let text = String::from_utf8_lossy(&mermaid.stdout);
    for line in text.lines().skip(1) {
        // Every label is one "…" string without quotes, markup or backticks inside.
        let quotes = line.matches('"').count();
        assert!(quotes == 0 || quotes == 2, "{line}");
        if let (Some(a), Some(b)) = (line.find('"'), line.rfind('"'))
            && a < b
        {
            let label = &line[a + 1..b];
            assert!(!label.contains(['<', '>', '`']), "{line}");
        }
    }
    assert!(text.contains("#quot;role"), "{text}");

    let show = run_in(flake, &["show", "a"]);
    assert!(show.status.success());
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        text.contains(r#"named in roles.subgraph.machines at flake.nix:"#),
        "{text}"
    );
    assert!(
        text.contains(r#"via tag say "hi" in roles."quote\"role".tags"#),
        "{text}"
    );
}
