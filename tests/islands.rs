//! Islands: values the static reader cannot compute, evaluated by the user's Nix.
//!
//! Fixture flakes under `tests/islands/` are copied to a temporary directory, locked with
//! `nix flake lock` (offline: their inputs are `path:` inputs) and run through the real binary
//! with the cache in a temporary directory (`XDG_CACHE_HOME`):
//! - an inventory built by a function of a local input flake (`function-of-input`), and members
//!   taken from an output of the flake that needs `fromTOML` (`output-members`), generate the
//!   same stubs as their hand-written static equivalents (`*-static`, run with `--no-nix`);
//! - a second run with nothing changed makes no Nix call (a failing `nix-instantiate` and `nix`
//!   are first on `PATH`), and a change re-evaluates only the island it reaches;
//! - `--no-nix` (and `INVENTORY_GEN_NO_NIX=1`) gives the static error at the island's span;
//! - an island Nix refuses shows Nix's error at the island (`fails-in-nix`);
//! - a Nix that does not finish is stopped at the time limit;
//! - static values forced through the island path give the same data as the static evaluator
//!   (`differential.nix`).
//!
//! When Nix cannot evaluate here (no `nix-instantiate`, no usable store), each test prints SKIP.

mod common;

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Whether Nix can evaluate flakes here (`builtins.getFlake` of a `path:` flake, which needs a
/// usable store); prints why not otherwise.
fn nix_usable(test: &str) -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("flake.nix"),
        "{ outputs = _: { probe = 42; }; }",
    )
    .expect("write");
    let expr = format!(
        "(builtins.getFlake \"path:{}\").probe",
        dir.path().display()
    );
    let probe = std::process::Command::new("nix-instantiate")
        .args([
            "--eval",
            "--extra-experimental-features",
            "nix-command flakes",
            "-E",
            &expr,
        ])
        .output();
    match probe {
        Ok(o) if o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "42" => true,
        Ok(o) => {
            eprintln!(
                "SKIP {test}: nix-instantiate cannot evaluate flakes here: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            false
        }
        Err(e) => {
            eprintln!("SKIP {test}: nix-instantiate is not installed ({e})");
            false
        }
    }
}

fn fixture(name: &str) -> PathBuf {
    common::repo_root().join("tests/islands").join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A scratch directory with the fixture copied to `flake/` (locked) and a cache directory.
struct Scratch {
    _temp: tempfile::TempDir,
    flake: PathBuf,
    cache: PathBuf,
    bin: PathBuf,
}

/// Copies and locks a fixture; `None` (after a SKIP line) when Nix cannot lock it here.
fn scratch(test: &str, name: &str) -> Option<Scratch> {
    let temp = tempfile::tempdir().expect("tempdir");
    let flake = temp.path().join("flake");
    copy_dir(&fixture(name), &flake);
    let lock = std::process::Command::new("nix")
        .args([
            "--extra-experimental-features",
            "nix-command flakes",
            "flake",
            "lock",
        ])
        .current_dir(&flake)
        .output();
    match lock {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            eprintln!(
                "SKIP {test}: `nix flake lock` fails here: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return None;
        }
        Err(e) => {
            eprintln!("SKIP {test}: `nix` is not installed ({e})");
            return None;
        }
    }
    let cache = temp.path().join("cache");
    let bin = temp.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    Some(Scratch {
        _temp: temp,
        flake,
        cache,
        bin,
    })
}

struct Run {
    code: i32,
    stderr: String,
}

fn run(s: &Scratch, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::cargo_bin("inventory-gen").expect("binary");
    cmd.env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", &s.cache)
        .env_remove("INVENTORY_GEN_NO_NIX")
        .env_remove("INVENTORY_GEN_ISLAND_TIMEOUT")
        .arg("--flake")
        .arg(&s.flake)
        .args(args)
        .timeout(Duration::from_secs(300));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run inventory-gen");
    Run {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `PATH` with `s.bin` first.
fn path_with(s: &Scratch) -> String {
    format!(
        "{}:{}",
        s.bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Puts an executable script called `name` in `s.bin`.
fn fake(s: &Scratch, name: &str, script: &str) {
    let path = s.bin.join(name);
    std::fs::write(&path, script).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
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

/// The island notices of a run: (location, how), by location.
fn notices(stderr: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("note[island]: "))
        .map(|l| {
            let (location, rest) = l.split_once(": ").expect("location");
            let how = rest.rsplit_once("` ").map(|(_, h)| h).unwrap_or(rest);
            (location.to_string(), how.to_string())
        })
        .collect();
    found.sort();
    found
}

fn same_stubs_as_static(test: &str, island: &str, islands_expected: &[&str]) {
    if !nix_usable(test) {
        return;
    }
    let Some(s) = scratch(test, island) else {
        return;
    };
    let r = run(&s, &["generate"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let found = notices(&r.stderr);
    let locations: Vec<&str> = found.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(locations, islands_expected, "{}", r.stderr);
    assert!(
        found
            .iter()
            .all(|(_, how)| how.starts_with("evaluated with Nix in ")),
        "{}",
        r.stderr
    );
    let Some(st) = scratch(test, &format!("{island}-static")) else {
        return;
    };
    let r = run(&st, &["generate", "--no-nix"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = snapshot(&s.flake.join("generated"));
    let want = snapshot(&st.flake.join("generated"));
    assert!(!want.is_empty());
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &want {
        assert_eq!(
            String::from_utf8_lossy(&got[path]),
            String::from_utf8_lossy(bytes),
            "{}",
            path.display()
        );
    }
}

#[test]
fn an_inventory_built_by_an_input_flake_generates_the_stubs_of_its_static_equivalent() {
    same_stubs_as_static(
        "function-of-input",
        "function-of-input",
        &["flake.nix:10:19", "flake.nix:11:19"],
    );
}

#[test]
fn members_from_an_output_the_reader_cannot_compute_generate_the_static_stubs() {
    same_stubs_as_static("output-members", "output-members", &["flake.nix:17:35"]);
}

#[test]
fn a_second_run_with_nothing_changed_makes_no_nix_call() {
    let test = "a_second_run_with_nothing_changed_makes_no_nix_call";
    if !nix_usable(test) {
        return;
    }
    let Some(s) = scratch(test, "function-of-input") else {
        return;
    };
    let first = run(&s, &["generate"], &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = snapshot(&s.flake.join("generated"));
    let marker = s.bin.join("called");
    let failing = format!(
        "#!/bin/sh\necho \"$0 $*\" >> '{}'\necho 'this Nix must not be called' >&2\nexit 1\n",
        marker.display()
    );
    fake(&s, "nix-instantiate", &failing);
    fake(&s, "nix", &failing);
    let path = path_with(&s);
    for command in ["generate", "check"] {
        let again = run(&s, &[command], &[("PATH", &path)]);
        assert_eq!(again.code, 0, "{command}: {}", again.stderr);
        assert!(!marker.exists(), "{command} called Nix: {}", again.stderr);
        let found = notices(&again.stderr);
        assert_eq!(found.len(), 2, "{}", again.stderr);
        assert!(
            found
                .iter()
                .all(|(_, how)| how == "read from the cache (no Nix call)"),
            "{}",
            again.stderr
        );
    }
    assert_eq!(before, snapshot(&s.flake.join("generated")));
    // Without the cache, the failing Nix is called and its error shown at the island.
    std::fs::remove_dir_all(&s.cache).expect("clear cache");
    let uncached = run(&s, &["check"], &[("PATH", &path)]);
    assert_eq!(uncached.code, 1, "{}", uncached.stderr);
    assert!(marker.exists());
    assert!(
        uncached.stderr.contains("this Nix must not be called"),
        "{}",
        uncached.stderr
    );
}

#[test]
fn a_change_re_evaluates_only_the_island_it_reaches() {
    let test = "a_change_re_evaluates_only_the_island_it_reaches";
    if !nix_usable(test) {
        return;
    }
    let Some(s) = scratch(test, "function-of-input") else {
        return;
    };
    assert_eq!(run(&s, &["generate"], &[]).code, 0);
    // A value bound into one island (`names`) changes: that island alone goes to Nix.
    let flake_nix = s.flake.join("flake.nix");
    let text = std::fs::read_to_string(&flake_nix).expect("read");
    let changed = text.replace(r#"[ "web1" "web2" ]"#, r#"[ "web1" "web2" "web3" ]"#);
    assert_ne!(text, changed);
    std::fs::write(&flake_nix, changed).expect("write");
    let r = run(&s, &["generate"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let found = notices(&r.stderr);
    assert_eq!(found.len(), 2, "{}", r.stderr);
    assert_eq!(found[0].0, "flake.nix:10:19");
    assert_eq!(found[0].1, "read from the cache (no Nix call)");
    assert_eq!(found[1].0, "flake.nix:11:19");
    assert!(
        found[1].1.starts_with("evaluated with Nix in "),
        "{}",
        r.stderr
    );
    assert!(
        s.flake
            .join("generated/inventory/machines/web3.nix")
            .is_file()
    );
    // The input flake's files change: both islands read it, both go to Nix.
    let fleet = s.flake.join("fleet/flake.nix");
    let text = std::fs::read_to_string(&fleet).expect("read");
    std::fs::write(
        &fleet,
        text.replace(r#"fleetName = "islands""#, r#"fleetName = "renamed""#),
    )
    .expect("write");
    let lock = std::process::Command::new("nix")
        .args([
            "--extra-experimental-features",
            "nix-command flakes",
            "flake",
            "lock",
            "--update-input",
            "fleet",
        ])
        .current_dir(&s.flake)
        .output()
        .expect("nix flake lock");
    assert!(
        lock.status.success(),
        "{}",
        String::from_utf8_lossy(&lock.stderr)
    );
    let r = run(&s, &["generate"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let found = notices(&r.stderr);
    assert_eq!(found.len(), 2, "{}", r.stderr);
    assert!(
        found
            .iter()
            .all(|(_, how)| how.starts_with("evaluated with Nix in ")),
        "{}",
        r.stderr
    );
}

#[test]
fn no_nix_gives_the_static_error_at_the_island() {
    let test = "no_nix_gives_the_static_error_at_the_island";
    if !nix_usable(test) {
        return;
    }
    let Some(s) = scratch(test, "output-members") else {
        return;
    };
    for (args, env) in [
        (vec!["check", "--no-nix"], vec![]),
        (vec!["check"], vec![("INVENTORY_GEN_NO_NIX", "1")]),
    ] {
        let r = run(&s, &args, &env);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("error[not-static]:")
                && r.stderr.contains("cannot be known without evaluating Nix")
                && r.stderr.contains("flake.nix:17:35"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("┌─ flake.nix:17:35"), "{}", r.stderr);
        assert!(notices(&r.stderr).is_empty(), "{}", r.stderr);
    }
    assert!(!s.cache.exists(), "nothing was cached");
}

#[test]
fn an_island_nix_refuses_shows_nix_error_at_the_island() {
    let test = "an_island_nix_refuses_shows_nix_error_at_the_island";
    if !nix_usable(test) {
        return;
    }
    let Some(s) = scratch(test, "fails-in-nix") else {
        return;
    };
    let r = run(&s, &["generate"], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let diagnostic = r
        .stderr
        .split("\n\n")
        .skip_while(|d| !d.contains("error[eval-error]: Nix failed to evaluate this island"))
        .take(3)
        .collect::<Vec<_>>()
        .join("\n\n");
    assert!(
        diagnostic.contains("called without required argument 'instance'"),
        "{}",
        r.stderr
    );
    assert!(diagnostic.contains("┌─ flake.nix:8:19"), "{}", r.stderr);
    assert!(diagnostic.contains("evaluated with Nix"), "{}", r.stderr);
    assert!(!s.flake.join("generated").exists());
    // Failures are not cached: Nix is asked again.
    let again = run(&s, &["check"], &[]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("called without required argument"));
}

#[test]
fn a_nix_that_does_not_finish_is_stopped_at_the_time_limit() {
    let test = "a_nix_that_does_not_finish_is_stopped_at_the_time_limit";
    if !nix_usable(test) {
        return;
    }
    let Some(s) = scratch(test, "function-of-input") else {
        return;
    };
    fake(&s, "nix-instantiate", "#!/bin/sh\nexec sleep 600\n");
    let path = path_with(&s);
    let r = run(
        &s,
        &["check"],
        &[("PATH", &path), ("INVENTORY_GEN_ISLAND_TIMEOUT", "0.5")],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("Nix did not finish evaluating this island within 0.5 s, and was stopped"),
        "{}",
        r.stderr
    );
}

#[test]
fn verbose_shows_the_nix_command_and_version() {
    let test = "verbose_shows_the_nix_command_and_version";
    if !nix_usable(test) {
        return;
    }
    let Some(s) = scratch(test, "output-members") else {
        return;
    };
    let r = run(&s, &["check", "--verbose"], &[]);
    assert_eq!(r.code, 1, "stubs are not generated yet: {}", r.stderr);
    assert!(
        r.stderr.contains(
            "  command: nix-instantiate --eval --strict --json --extra-experimental-features 'nix-command flakes' <island>"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("  nix: nix-instantiate (Nix) "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("builtins.getFlake \"path:"),
        "{}",
        r.stderr
    );
}

#[test]
fn static_values_through_the_island_path_give_the_same_data() {
    let test = "static_values_through_the_island_path_give_the_same_data";
    if !nix_usable(test) {
        return;
    }
    let dir = fixture("");
    let source = std::fs::read_to_string(dir.join("differential.nix")).expect("read");
    let cases =
        inventory_gen::read::islands::differential_json(&dir, &source).expect("the cases read");
    assert!(cases.len() >= 20, "{} cases", cases.len());
    let mut mismatches = Vec::new();
    let mut failing = 0;
    for (name, statically, through_nix) in &cases {
        match (statically, through_nix) {
            (Ok(a), Ok(b)) if common::json_equal(a, b) => {}
            (Err(_), Err(_)) => failing += 1,
            _ => mismatches.push(format!(
                "{name}:\n    static: {statically:?}\n    island: {through_nix:?}"
            )),
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(failing, 4, "the failing cases fail both ways");
}

#[test]
fn a_module_in_extra_modules_is_never_an_island() {
    let test = "a_module_in_extra_modules_is_never_an_island";
    if !nix_usable(test) {
        return;
    }
    let Some(s) = scratch(test, "function-of-input-static") else {
        return;
    };
    // A NixOS module is code for the machine, not data membership needs: Nix is not asked.
    let flake_nix = s.flake.join("flake.nix");
    let text = std::fs::read_to_string(&flake_nix).expect("read");
    // `self` is the flake itself; a module of a flake input is known to Nix only, and is
    // carried into the generated files as code, never evaluated as data.
    let changed = text
        .replace(
            "roles.server.settings.port = 8080;",
            "roles.server.settings.port = 8080;\n          roles.server.extraModules = [ self.nixosModules.extra inputs.other.nixosModules.default ];",
        )
        .replace("{ self, ... }:", "{ self, ... }@inputs:")
        .replace("  outputs =", "  inputs.other.url = \"github:example/other\";\n  outputs =")
        .replace(
            "modules.web = ./services/web.nix;",
            "modules.web = ./services/web.nix;\n      nixosModules.extra = { ... }: { };",
        );
    assert_ne!(text, changed);
    std::fs::write(&flake_nix, changed).expect("write");
    let r = run(&s, &["check"], &[]);
    assert!(notices(&r.stderr).is_empty(), "{}", r.stderr);
    assert!(!r.stderr.contains("error["), "{}", r.stderr);
    assert_eq!(r.code, 1, "the instance file would change: {}", r.stderr);
    assert!(!s.cache.exists(), "nothing was evaluated");
}

#[test]
fn lib_in_an_island_is_nixpkgs_lib() {
    let test = "lib_in_an_island_is_nixpkgs_lib";
    if !nix_usable(test) || !common::have_nixpkgs_lib(test) {
        return;
    }
    let Some(s) = scratch(test, "lib-from-nixpkgs") else {
        return;
    };
    let mut cmd = Command::cargo_bin("inventory-gen").expect("binary");
    let out = cmd
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", &s.cache)
        .env_remove("INVENTORY_GEN_NO_NIX")
        .args(["eval", "--flake"])
        .arg(&s.flake)
        .timeout(Duration::from_secs(300))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        json,
        serde_json::json!({
            "machines": { "web1": { "tags": ["web", "edge"] } },
            "meta": { "name": "islands" }
        })
    );
    // Today both `lib` calls are islands (the reader knows neither function), so this is the
    // data Nix computed with the `lib` the island was given.
}
