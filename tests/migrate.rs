//! `inventory-gen migrate`, run through the binary on copies of flakes with legacy `services`:
//! the seed fixtures `tests/cases/legacy-*` and the flakes under `tests/migrate/<case>/` (every
//! written form; every refusal).
//!
//! For each flake:
//! - `migrate --dry-run` writes nothing, and prints a diff when there is something to migrate;
//! - the transcripts of `migrate --dry-run` and `migrate`, followed by every rewritten file,
//!   equal `tests/migrate/<case>.expected` (`INVENTORY_GEN_BLESS=1` rewrites it);
//! - every rewritten file is byte-identical to the original outside the lines of its legacy
//!   `services` bindings (found here with rnix, independently of the tool), keeps every comment
//!   of the original, and parses with `nix-instantiate --parse`;
//! - a second `migrate` writes nothing;
//! - `generate` after migrating gives every machine the same roles in the same instances as
//!   `generate` before (legacy instances in the stubs' `services`, migrated ones in `instances`).

mod common;

use assert_cmd::Command;
use rowan::ast::AstNode;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn bless() -> bool {
    std::env::var_os("INVENTORY_GEN_BLESS").is_some()
}

/// (name of the expected file, flake directory).
fn cases() -> Vec<(String, PathBuf)> {
    let root = common::repo_root();
    let mut out: Vec<(String, PathBuf)> = [
        "legacy-borgbackup",
        "legacy-tags",
        "legacy-two-instances",
        "legacy-layers",
    ]
    .iter()
    .map(|c| (c.to_string(), root.join("tests/cases").join(c)))
    .collect();
    let mut own: Vec<PathBuf> = std::fs::read_dir(root.join("tests/migrate"))
        .expect("tests/migrate")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("flake.nix").is_file())
        .collect();
    own.sort();
    for dir in own {
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        out.push((name, dir));
    }
    out
}

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("inventory-gen").expect("binary");
    cmd.env("NO_COLOR", "1");
    // Migration reads statically: no island is left to Nix (tests/islands.rs).
    cmd.env("INVENTORY_GEN_NO_NIX", "1");
    cmd
}

/// Every file below `dir` except the generated ones, relative path → bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(dir).expect("below").to_path_buf();
            if relative.starts_with("generated") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(relative, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    let mut stack = vec![from.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let path = entry.path();
            let target = to.join(path.strip_prefix(from).expect("below"));
            if path.is_dir() {
                stack.push(path);
            } else {
                std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
                std::fs::copy(&path, &target).expect("copy");
            }
        }
    }
}

fn run(flake: &Path, args: &[&str]) -> (String, i32, String) {
    let output = bin()
        .args(args)
        .arg("--flake")
        .arg(flake)
        .output()
        .expect("run");
    let clean =
        |b: &[u8]| String::from_utf8_lossy(b).replace(&flake.display().to_string(), "<flake>");
    let stdout = clean(&output.stdout);
    let code = output.status.code().unwrap_or(-1);
    let transcript = format!(
        "$ inventory-gen {} --flake <flake>\nexit: {code}\n--- stdout\n{stdout}--- stderr\n{}",
        args.join(" "),
        clean(&output.stderr)
    );
    (transcript, code, stdout)
}

/// Byte ranges (whole lines) of the bindings whose attribute path names `services`, merged.
fn legacy_ranges(text: &str) -> Vec<(usize, usize)> {
    let parse = rnix::Root::parse(text);
    let mut ranges: Vec<(usize, usize)> = parse
        .syntax()
        .descendants()
        .filter_map(rnix::ast::AttrpathValue::cast)
        .filter(|b| {
            b.attrpath()
                .is_some_and(|p| p.attrs().any(|a| a.syntax().text() == "services"))
        })
        .map(|b| {
            let r = b.syntax().text_range();
            let start = usize::from(r.start());
            let end = usize::from(r.end());
            let start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
            let end = text[end..]
                .find('\n')
                .map(|i| end + i + 1)
                .unwrap_or(text.len());
            (start, end)
        })
        .collect();
    ranges.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// `new` is `old` with (at most) the given ranges replaced: the bytes between them appear in
/// `new`, in order, the first at the start and the last at the end.
fn only_ranges_changed(old: &str, new: &str, ranges: &[(usize, usize)]) -> Result<(), String> {
    let mut segments = Vec::new();
    let mut at = 0;
    for (s, e) in ranges {
        segments.push(&old[at..*s]);
        at = *e;
    }
    segments.push(&old[at..]);
    let last = segments.len() - 1;
    let mut pos = 0;
    for (i, seg) in segments.iter().enumerate() {
        if i == 0 {
            if !new.starts_with(seg) {
                return Err(format!(
                    "the text before the first legacy binding changed: {seg:?}"
                ));
            }
            pos = seg.len();
        } else if i == last {
            if !new.ends_with(seg) || new.len() - seg.len() < pos {
                return Err(format!(
                    "the text after the last legacy binding changed: {seg:?}"
                ));
            }
        } else {
            match new[pos..].find(seg) {
                Some(found) => pos += found + seg.len(),
                None => return Err(format!("the text between legacy bindings changed: {seg:?}")),
            }
        }
    }
    Ok(())
}

fn comments(text: &str) -> Vec<String> {
    rnix::Root::parse(text)
        .syntax()
        .descendants_with_tokens()
        .filter_map(|t| t.into_token())
        .filter(|t| t.kind() == rnix::SyntaxKind::TOKEN_COMMENT)
        .map(|t| t.text().to_string())
        .collect()
}

/// Every machine's roles per instance, legacy or not, from the generated stubs.
fn memberships(flake: &Path) -> serde_json::Value {
    let expr = r#"
      let
        dir = ./generated/inventory/machines;
        names = map (f: builtins.substring 0 (builtins.stringLength f - 4) f)
          (builtins.attrNames (builtins.readDir dir));
        # A stub's instances hold its entries by role (legacy services: a list of roles); its
        # instances are a function of `lib` when entries hold settings, not looked at here.
        roles = set: builtins.mapAttrs (_: builtins.attrNames) set;
        legacyRoles = set: builtins.mapAttrs (_: i: i.roles) set;
        instancesOf = s:
          if builtins.isFunction s.instances then s.instances { lib = throw "unused"; } else s.instances;
        of = m:
          let s = import (dir + "/${m}.nix") { machine = x: x; };
          in roles (instancesOf s)
            // builtins.foldl' (acc: x: acc // legacyRoles x) { } (builtins.attrValues (s.services or { }));
      in builtins.listToAttrs (map (m: { name = m; value = of m; }) names)
    "#;
    common::nix_eval_json(flake, expr).unwrap_or_else(|e| panic!("{}: {e}", flake.display()))
}

#[test]
fn migrate_keeps_the_meaning_and_every_other_byte() {
    common::require_nix();
    let mut failures = Vec::new();
    for (name, case) in cases() {
        let temp = tempfile::tempdir().expect("tempdir");
        let flake = temp.path().join("flake");
        copy_dir(&case, &flake);
        let _ = std::fs::remove_dir_all(flake.join("generated"));
        bin().arg("--flake").arg(&flake).assert().success();
        let before_members = memberships(&flake);
        let original = snapshot(&flake);

        let (dry, _, dry_stdout) = run(&flake, &["migrate", "--dry-run"]);
        if snapshot(&flake) != original {
            failures.push(format!("{name}: `migrate --dry-run` wrote"));
        }
        if dry_stdout.contains("would migrate") && !dry_stdout.contains("--- a/") {
            failures.push(format!("{name}: `migrate --dry-run` shows no diff"));
        }
        let (wet, _, _) = run(&flake, &["migrate"]);
        let migrated = snapshot(&flake);
        let mut log = format!("{dry}\n{wet}");
        for (path, bytes) in &migrated {
            let old = original.get(path);
            if old == Some(bytes) {
                continue;
            }
            let new = String::from_utf8_lossy(bytes).into_owned();
            log.push_str(&format!("\n=== {} (after)\n{new}", path.display()));
            let Some(old) = old else {
                failures.push(format!("{name}: migrate created {}", path.display()));
                continue;
            };
            let old = String::from_utf8_lossy(old).into_owned();
            if let Err(e) = only_ranges_changed(&old, &new, &legacy_ranges(&old)) {
                failures.push(format!("{name}: {}: {e}", path.display()));
            }
            for comment in comments(&old) {
                if !new.contains(&comment) {
                    failures.push(format!(
                        "{name}: {}: comment {comment:?} was lost",
                        path.display()
                    ));
                }
            }
            let parsed = common::nix_instantiate(
                &flake,
                &["--parse", flake.join(path).to_str().expect("utf-8")],
            );
            if !parsed.ok {
                failures.push(format!(
                    "{name}: {} does not parse:\n{}",
                    path.display(),
                    parsed.stderr
                ));
            }
        }
        if migrated.keys().ne(original.keys()) {
            failures.push(format!("{name}: migrate added or removed files"));
        }

        let (again, _, _) = run(&flake, &["migrate"]);
        if snapshot(&flake) != migrated {
            failures.push(format!("{name}: a second migrate wrote:\n{again}"));
        }

        bin().arg("--flake").arg(&flake).assert().success();
        let after_members = memberships(&flake);
        if before_members != after_members {
            failures.push(format!(
                "{name}: members changed:\nbefore {before_members}\nafter  {after_members}"
            ));
        }

        let expected_path = common::repo_root().join(format!("tests/migrate/{name}.expected"));
        if bless() {
            std::fs::write(&expected_path, &log).expect("bless");
        } else {
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
            if expected != log {
                failures.push(format!(
                    "{name}: transcript differs (INVENTORY_GEN_BLESS=1 to accept):\n{}",
                    similar::TextDiff::from_lines(&expected, &log)
                        .unified_diff()
                        .header("expected", "actual")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `migrate --dry-run` on every fixture flake of the repository (most have no legacy services,
/// many are broken on purpose) ends with a verdict: never the internal-error exit, never a
/// write.
#[test]
fn migrate_never_crashes() {
    let root = common::repo_root();
    let mut flakes = Vec::new();
    for dir in [
        "tests/cases",
        "tests/eval",
        "tests/migrate",
        "tests/migrate/builtin-modules",
        "templates",
    ] {
        for entry in std::fs::read_dir(root.join(dir))
            .expect("fixture directory")
            .flatten()
        {
            if entry.path().join("flake.nix").is_file() {
                flakes.push(entry.path());
            }
        }
    }
    flakes.sort();
    assert!(flakes.len() > 20, "too few fixtures found");
    for case in flakes {
        let temp = tempfile::tempdir().expect("tempdir");
        let flake = temp.path().join("flake");
        copy_dir(&case, &flake);
        let before = snapshot(&flake);
        let out = bin()
            .args(["migrate", "--dry-run", "--flake"])
            .arg(&flake)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0..=2)) && !stderr.contains("error[internal]"),
            "{}: {:?}\n{stderr}",
            case.display(),
            out.status
        );
        assert!(
            snapshot(&flake) == before,
            "{}: --dry-run wrote",
            case.display()
        );
    }
}

/// The flakes under `tests/migrate/builtin-modules/`: legacy `services` of clan-core's built-in
/// clanModules (no `inventory.modules.<name>`), the seed documents' examples among them.
fn clan_core_cases() -> Vec<(String, PathBuf)> {
    let root = common::repo_root().join("tests/migrate/builtin-modules");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&root)
        .expect("tests/migrate/builtin-modules")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("flake.nix").is_file())
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, p)
        })
        .collect();
    out.sort();
    out
}

/// Every machine's roles per instance as the legacy `services` of `flake.nix` meant them,
/// computed by Nix from the flake itself (its `buildClan` argument, with clan-core's legacy
/// rule: a role's members are its machines and the machines holding one of its tags), each
/// instance under the flat name clan-core's guide gives it (`<module>-<instance>`). Independent
/// of the tool; the format of [`memberships`].
fn legacy_meaning(flake: &Path) -> serde_json::Value {
    let expr = r#"
      let
        outputs = (import ./flake.nix).outputs {
          self = ./.;
          clan-core.lib.buildClan = args: args;
        };
        inventory = outputs.inventory;
        dirs = if builtins.pathExists ./machines then builtins.readDir ./machines else { };
        names = builtins.attrNames (dirs // (inventory.machines or { }));
        tagsOf = n: ((inventory.machines or { }).${n} or { }).tags or [ ];
        members = role: (role.machines or [ ])
          ++ builtins.filter (n: builtins.any (t: builtins.elem t (tagsOf n)) (role.tags or [ ])) names;
        instances = builtins.concatLists (builtins.attrValues (builtins.mapAttrs
          (m: set: builtins.attrValues (builtins.mapAttrs
            (i: x: { name = "${m}-${i}"; roles = x.roles or { }; }) set))
          (inventory.services or { })));
        of = n: builtins.listToAttrs (builtins.filter (x: x.value != [ ]) (map (x: {
          name = x.name;
          value = builtins.filter (r: builtins.elem n (members x.roles.${r})) (builtins.attrNames x.roles);
        }) instances));
      in builtins.listToAttrs (map (n: { name = n; value = of n; }) names)
    "#;
    common::nix_eval_json(flake, expr).unwrap_or_else(|e| panic!("{}: {e}", flake.display()))
}

/// clan-core's built-in legacy modules (issue 16): `generate` refuses them with the way out;
/// `migrate --dry-run` writes nothing; `migrate` rewrites them as clan-core's migration guide
/// does, changing only the legacy bindings, keeping every comment, leaving no `services` when
/// it refuses nothing, and the result parses; a second `migrate` writes nothing; `generate`
/// then writes one stub per machine with the members the legacy `services` meant. The
/// transcripts (generate before, migrate --dry-run, migrate) and rewritten files equal
/// `tests/migrate/builtin-modules/<case>.expected`.
#[test]
fn clan_core_modules_migrate_as_its_guide_says() {
    common::require_nix();
    let mut failures = Vec::new();
    for (name, case) in clan_core_cases() {
        let temp = tempfile::tempdir().expect("tempdir");
        let flake = temp.path().join("flake");
        copy_dir(&case, &flake);
        let _ = std::fs::remove_dir_all(flake.join("generated"));
        let original = snapshot(&flake);
        let meaning = legacy_meaning(&flake);

        let (before, code, _) = run(&flake, &["generate"]);
        if code != 1 || !before.contains("inventory-gen migrate") {
            failures.push(format!(
                "{name}: generate did not refuse with the hint to migrate:\n{before}"
            ));
        }
        if snapshot(&flake) != original {
            failures.push(format!("{name}: the refused generate wrote"));
        }
        let (dry, _, dry_stdout) = run(&flake, &["migrate", "--dry-run"]);
        if snapshot(&flake) != original {
            failures.push(format!("{name}: `migrate --dry-run` wrote"));
        }
        if !dry_stdout.contains("would migrate") || !dry_stdout.contains("--- a/") {
            failures.push(format!("{name}: `migrate --dry-run` shows no migration"));
        }
        // `--format json` names the same targets as the text, and the keys moved.
        let (_, _, json) = run(&flake, &["migrate", "--dry-run", "--format", "json"]);
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        for m in doc["migrated"].as_array().into_iter().flatten() {
            let line = format!(
                "would migrate services.{}.{} -> {}",
                m["module"].as_str().unwrap_or("?"),
                m["instance"].as_str().unwrap_or("?"),
                m["to"].as_str().unwrap_or("?")
            );
            let moved = m["moved"].as_array().map_or(0, Vec::len);
            if !dry_stdout.contains(&line) || dry_stdout.matches("  moved ").count() < moved {
                failures.push(format!("{name}: --format json disagrees: {m}"));
            }
        }
        if doc["migrated"].as_array().is_none_or(Vec::is_empty) {
            failures.push(format!("{name}: --format json migrates nothing:\n{json}"));
        }
        let (wet, code, _) = run(&flake, &["migrate"]);
        let complete = code == 0;
        let migrated = snapshot(&flake);
        let mut log = format!("{before}\n{dry}\n{wet}");
        for (path, bytes) in &migrated {
            let old = original.get(path);
            if old == Some(bytes) {
                continue;
            }
            let new = String::from_utf8_lossy(bytes).into_owned();
            log.push_str(&format!("\n=== {} (after)\n{new}", path.display()));
            let Some(old) = old else {
                failures.push(format!("{name}: migrate created {}", path.display()));
                continue;
            };
            let old = String::from_utf8_lossy(old).into_owned();
            if let Err(e) = only_ranges_changed(&old, &new, &legacy_ranges(&old)) {
                failures.push(format!("{name}: {}: {e}", path.display()));
            }
            for comment in comments(&old) {
                if !new.contains(&comment) {
                    failures.push(format!(
                        "{name}: {}: comment {comment:?} was lost",
                        path.display()
                    ));
                }
            }
            if complete && !legacy_ranges(&new).is_empty() {
                failures.push(format!("{name}: {} keeps `services`", path.display()));
            }
            let parsed = common::nix_instantiate(
                &flake,
                &["--parse", flake.join(path).to_str().expect("utf-8")],
            );
            if !parsed.ok {
                failures.push(format!(
                    "{name}: {} does not parse:\n{}",
                    path.display(),
                    parsed.stderr
                ));
            }
        }
        if migrated == original {
            failures.push(format!("{name}: migrate wrote nothing"));
        }
        if migrated.keys().ne(original.keys()) {
            failures.push(format!("{name}: migrate added or removed files"));
        }
        let (again, _, _) = run(&flake, &["migrate"]);
        if snapshot(&flake) != migrated {
            failures.push(format!("{name}: a second migrate wrote:\n{again}"));
        }

        if complete {
            let (after, code, _) = run(&flake, &["generate"]);
            if code != 0 {
                failures.push(format!("{name}: generate after migrate failed:\n{after}"));
            } else {
                let members = memberships(&flake);
                if members != meaning {
                    failures.push(format!(
                        "{name}: members differ from the legacy meaning:\nlegacy {meaning}\nafter  {members}"
                    ));
                }
            }
        }

        let expected_path =
            common::repo_root().join(format!("tests/migrate/builtin-modules/{name}.expected"));
        if bless() {
            std::fs::write(&expected_path, &log).expect("bless");
        } else {
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
            if expected != log {
                failures.push(format!(
                    "{name}: transcript differs (INVENTORY_GEN_BLESS=1 to accept):\n{}",
                    similar::TextDiff::from_lines(&expected, &log)
                        .unified_diff()
                        .header("expected", "actual")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
