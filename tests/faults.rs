//! Faults while writing: a run that stops after any number of file operations (an error, or a
//! crash that leaves a half-written temporary file), a real `SIGKILL` at arbitrary moments, a
//! full disk (also during a first generation), a read-only output directory, an output path that
//! is a file, several runs on one flake at once, and a machine renamed by case on a (simulated)
//! case-insensitive file system.
//!
//! What must hold every time: each generated file is either its old or its new content (never
//! partial, never lost), no generated file names one that is missing, the error says what
//! happened, and the next run completes the work and leaves no temporary or lock file.

mod reliability;

use inventory_gen::write::{Disk, Sink};
use reliability::{Node, bin, copy_dir, dangling_references, differences, snapshot, write_files};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A fleet whose second version creates, updates and removes files of the first.
fn fleet(first: usize, count: usize, setting: &str) -> String {
    let mut machines = String::new();
    let mut instances = String::new();
    let mut services = String::new();
    for i in first..first + count {
        machines.push_str(&format!("      m{i}.tags = [ \"t{}\" ];\n", i % 3));
        instances.push_str(&format!(
            "      solo-{i} = {{\n        module.name = \"svc\";\n        roles.hub.machines.m{i}.settings.value = \"{setting}-{i}\";\n      }};\n"
        ));
        services.push_str(&format!(
            "      legacy.old-{i} = {{ roles.server.machines = [ \"m{i}\" ]; config.value = \"{setting}\"; }};\n"
        ));
    }
    format!(
        r#"{{
  outputs = _: {{
    modules.svc = {{ roles.hub = {{ }}; roles.peer = {{ }}; }};
    inventory = {{
      machines = {{
{machines}      }};
      instances = {{
        mesh = {{
          module.name = "svc";
          roles.peer.tags.all = {{ }};
          roles.hub.tags.t1.settings.value = "{setting}";
        }};
{instances}      }};
      # Legacy services get files of their own, named by the stubs too.
      modules.legacy = ./legacy;
      services = {{
{services}      }};
    }};
  }};
}}
"#
    )
}

const OLD: (usize, usize, &str) = (0, 4, "old");
const NEW: (usize, usize, &str) = (2, 4, "new");

fn flake_text(v: (usize, usize, &str)) -> String {
    fleet(v.0, v.1, v.2)
}

/// The same change on eight times as many machines.
fn big(v: (usize, usize, &'static str)) -> (usize, usize, &'static str) {
    (v.0 * 8, v.1 * 8, v.2)
}

/// A flake in `dir` at version `v`, generated.
/// The legacy module the fleet's `services` use.
const LEGACY_ROLE: (&str, &str) = ("legacy/roles/server.nix", "{ ... }: { }\n");

fn generated_flake(dir: &Path, v: (usize, usize, &str)) {
    write_files(dir, &[("flake.nix", &flake_text(v)), LEGACY_ROLE]);
    let out = bin().arg("--flake").arg(dir).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Files the pipeline emits for the flake in `dir`, without writing them (the steps of
/// `cli::generate`).
fn emitted(dir: &Path) -> (PathBuf, BTreeMap<PathBuf, String>) {
    use inventory_gen::{emit, lower, read, resolve};
    let (flake, diagnostics) = read::read_flake(dir);
    assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:?}");
    let (inventory, _) = lower::lower(flake.inventory.as_ref().expect("inventory"));
    let (mut graph, _) = resolve::resolve(&inventory, &flake.modules, &flake.inputs);
    resolve::resolve_legacy(&mut graph, &inventory, &flake.legacy_modules);
    let mut sources = flake.files.clone();
    sources.sort();
    sources.dedup();
    let out = flake.root.join("generated/inventory");
    let layout = emit::Layout {
        flake_root: &flake.root,
        out_dir: &out,
    };
    let files = emit::emit(&graph, &sources, &layout);
    (out, files)
}

/// Fails the operation numbered `fail_at` (0-based); with `crash`, first leaves a half-written
/// temporary file the way a killed process would.
struct Faulty {
    done: usize,
    fail_at: usize,
    crash: bool,
    error: fn() -> std::io::Error,
}

impl Faulty {
    fn fail(&mut self, path: &Path, contents: &str) -> std::io::Result<bool> {
        if self.done < self.fail_at {
            self.done += 1;
            return Ok(false);
        }
        if self.crash {
            let dir = path.parent().expect("parent");
            std::fs::create_dir_all(dir)?;
            let half = &contents.as_bytes()[..contents.len() / 2];
            std::fs::write(dir.join(".inventory-gen-Crash1.tmp"), half)?;
        }
        Err((self.error)())
    }
}

impl Sink for Faulty {
    fn write_file(&mut self, path: &Path, contents: &str) -> std::io::Result<()> {
        self.fail(path, contents)?;
        Disk.write_file(path, contents)
    }

    fn remove_file(&mut self, path: &Path) -> std::io::Result<()> {
        self.fail(path, "")?;
        Disk.remove_file(path)
    }
}

fn no_space() -> std::io::Error {
    std::io::Error::from_raw_os_error(28) // ENOSPC
}

fn read_only() -> std::io::Error {
    std::io::Error::from_raw_os_error(30) // EROFS
}

/// Each file of `now` is its `old` or its `new` content, and every old or new file is there in
/// one of its versions unless one version is "absent".
fn old_or_new(
    old: &BTreeMap<PathBuf, Node>,
    new: &BTreeMap<PathBuf, String>,
    now: &BTreeMap<PathBuf, Node>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut paths: Vec<&PathBuf> = old.keys().chain(new.keys()).collect();
    paths.extend(now.keys());
    paths.sort();
    paths.dedup();
    for path in paths {
        if matches!(now.get(path), Some(Node::Dir)) || matches!(old.get(path), Some(Node::Dir)) {
            continue;
        }
        let current = now.get(path);
        let was = old.get(path);
        let will = new.get(path).map(|t| Node::File(t.as_bytes().to_vec()));
        let left_by_crash = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(".inventory-gen"));
        if left_by_crash {
            continue; // a temporary or the lock file; the next run removes it (checked by callers)
        }
        if current != was && current != will.as_ref() {
            problems.push(format!(
                "{} is neither old nor new ({})",
                path.display(),
                match current {
                    None => "missing",
                    Some(_) => "other content",
                }
            ));
        }
    }
    problems
}

#[test]
fn a_run_stopped_after_any_number_of_writes_leaves_every_file_old_or_new() {
    let temp = tempfile::tempdir().expect("tempdir");
    let template = temp.path().join("template");
    generated_flake(&template, OLD);
    let expected_dir = temp.path().join("expected");
    generated_flake(&expected_dir, NEW);
    let expected = snapshot(&expected_dir.join("generated/inventory"));

    let mut operations = 0;
    let mut k = 0;
    let mut tried = 0;
    loop {
        for crash in [false, true] {
            let dir = temp.path().join(format!("run-{k}-{crash}"));
            copy_dir(&template, &dir);
            write_files(&dir, &[("flake.nix", &flake_text(NEW))]);
            let (out, files) = emitted(&dir);
            let old = snapshot(&out);
            let plan = inventory_gen::write::plan(&out, &files).expect("plan");
            operations = plan.changes.len();
            let mut sink = Faulty {
                done: 0,
                fail_at: k,
                crash,
                error: no_space,
            };
            let result = inventory_gen::write::apply(&out, &files, &plan, &mut sink);
            assert_eq!(result.is_err(), k < operations, "k={k}");
            let now = snapshot(&out);
            let problems = old_or_new(&old, &files, &now);
            assert!(problems.is_empty(), "stopped after {k}: {problems:#?}");
            let dangling = dangling_references(&out);
            assert!(dangling.is_empty(), "stopped after {k}: {dangling:#?}");

            // The next run completes the work and cleans up after the crash.
            let rerun = bin().arg("--flake").arg(&dir).output().expect("run");
            assert!(
                rerun.status.success(),
                "{}",
                String::from_utf8_lossy(&rerun.stderr)
            );
            let after = snapshot(&out);
            assert_eq!(
                differences(&expected, &after),
                Vec::<String>::new(),
                "stopped after {k}, crash {crash}: the next run did not complete the work"
            );
            tried += 1;
        }
        k += 1;
        if k > operations {
            break;
        }
    }
    assert!(operations >= 10, "the scenario should change many files");
    assert_eq!(tried, 2 * (operations + 1));
}

#[test]
fn a_full_disk_or_a_read_only_directory_is_a_clear_error() {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path().join("flake");
    generated_flake(&dir, OLD);
    write_files(&dir, &[("flake.nix", &flake_text(NEW))]);
    let (out, files) = emitted(&dir);
    for (error, fragment, hint) in [
        (
            no_space as fn() -> std::io::Error,
            "No space left on device",
            "the disk is full",
        ),
        (read_only, "Read-only file system", "not writable"),
    ] {
        let plan = inventory_gen::write::plan(&out, &files).expect("plan");
        let old = snapshot(&out);
        let mut sink = Faulty {
            done: 0,
            fail_at: 2,
            crash: false,
            error,
        };
        let d = inventory_gen::write::apply(&out, &files, &plan, &mut sink).expect_err("fails");
        assert_eq!(d.kind.code(), "io");
        assert!(d.message.contains("cannot write `"), "{}", d.message);
        assert!(d.message.contains(fragment), "{}", d.message);
        assert!(
            d.hint.as_deref().unwrap_or("").contains(hint),
            "{:?}",
            d.hint
        );
        assert!(old_or_new(&old, &files, &snapshot(&out)).is_empty());
    }
}

/// A read-only output directory, for real: made read-only by mode, and the binary run as an
/// unprivileged user when the tests run as root (who may write anyway).
#[cfg(unix)]
#[test]
fn a_read_only_output_directory_fails_cleanly() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    use std::os::unix::process::CommandExt as _;
    let temp = tempfile::tempdir().expect("tempdir");
    let root = std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let dir = temp.path().join("flake");
    generated_flake(&dir, OLD);
    write_files(&dir, &[("flake.nix", &flake_text(NEW))]);
    let out = dir.join("generated/inventory");
    let before = snapshot(&out);
    let set_mode = |mode: u32| {
        for (relative, node) in snapshot(&out) {
            if node == Node::Dir {
                let p = out.join(relative);
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
            }
        }
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    set_mode(0o555);
    let mut binary = assert_cmd::cargo::cargo_bin("inventory-gen");
    if root {
        // The unprivileged user may not reach the build directory (under /root, say).
        let copy = temp.path().join("inventory-gen");
        std::fs::copy(&binary, &copy).expect("copy the binary");
        binary = copy;
    }
    let mut command = std::process::Command::new(binary);
    command.env("NO_COLOR", "1").arg("--flake").arg(&dir);
    if root {
        command.uid(65534).gid(65534); // nobody
    }
    let run = command.output().expect("run");
    set_mode(0o755);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error[io]"), "{stderr}");
    assert!(stderr.contains("ermission denied"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(differences(&before, &snapshot(&out)), Vec::<String>::new());

    // Up to date and read-only: nothing to write, so nothing fails.
    bin().arg("--flake").arg(&dir).assert().success();
    set_mode(0o555);
    let run = command.output().expect("run");
    set_mode(0o755);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn an_output_path_that_is_a_file_is_a_clear_error() {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path().join("flake");
    write_files(&dir, &[("flake.nix", &flake_text(OLD)), LEGACY_ROLE]);
    for (file, args) in [
        ("generated", vec![]),
        ("generated/inventory", vec![]),
        ("elsewhere.nix", vec!["--out", "elsewhere.nix"]),
        ("deeper/x", vec!["--out", "deeper/x/out"]),
    ] {
        let _ = std::fs::remove_dir_all(dir.join("generated"));
        let _ = std::fs::remove_dir_all(dir.join("deeper"));
        write_files(&dir, &[(file, "not a directory\n")]);
        let before = snapshot(&dir);
        let run = bin()
            .current_dir(&dir)
            .args(&args)
            .arg("--flake")
            .arg(&dir)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{file}: {stderr}");
        assert!(stderr.contains("error[io]"), "{file}: {stderr}");
        assert!(
            stderr.contains("is a file, not a directory"),
            "{file}: {stderr}"
        );
        assert_eq!(differences(&before, &snapshot(&dir)), Vec::<String>::new());
        std::fs::remove_file(dir.join(file)).expect("rm");
    }
}

#[test]
fn concurrent_runs_on_one_flake_do_not_corrupt_the_output() {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path().join("flake");
    generated_flake(&dir, OLD);
    let mut expected = BTreeMap::new();
    for (name, v) in [("old", OLD), ("new", NEW)] {
        let d = temp.path().join(name);
        generated_flake(&d, v);
        expected.insert(name, snapshot(&d.join("generated/inventory")));
    }
    let out = dir.join("generated/inventory");
    for round in 0..6 {
        let (name, v) = if round % 2 == 0 {
            ("new", NEW)
        } else {
            ("old", OLD)
        };
        write_files(&dir, &[("flake.nix", &flake_text(v))]);
        let children: Vec<_> = (0..4)
            .map(|_| {
                std::process::Command::new(assert_cmd::cargo::cargo_bin("inventory-gen"))
                    .arg("--flake")
                    .arg(&dir)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().expect("wait");
            assert!(
                output.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        assert_eq!(
            differences(&expected[name], &snapshot(&out)),
            Vec::<String>::new(),
            "round {round}"
        );
    }
}

const KILLS: u32 = 12;

#[cfg(unix)]
#[test]
fn a_run_killed_at_arbitrary_moments_leaves_every_file_old_or_new() {
    use std::time::Instant;
    let temp = tempfile::tempdir().expect("tempdir");
    let template = temp.path().join("template");
    generated_flake(&template, big(OLD));
    let expected_dir = temp.path().join("expected");
    generated_flake(&expected_dir, big(NEW));
    let expected = snapshot(&expected_dir.join("generated/inventory"));

    // How long a whole run takes here, to spread the kills over it.
    let probe = temp.path().join("probe");
    copy_dir(&template, &probe);
    write_files(&probe, &[("flake.nix", &flake_text(big(NEW)))]);
    let start = Instant::now();
    bin().arg("--flake").arg(&probe).assert().success();
    let full = start.elapsed();
    eprintln!("a whole run takes {full:?}");

    let mut partial = 0;
    for i in 0..KILLS {
        let dir = temp.path().join(format!("kill-{i}"));
        copy_dir(&template, &dir);
        write_files(&dir, &[("flake.nix", &flake_text(big(NEW)))]);
        let (out, files) = emitted(&dir);
        let old = snapshot(&out);
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("inventory-gen"))
            .arg("--flake")
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(full.mul_f64(f64::from(i) / f64::from(KILLS) + 0.1));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = snapshot(&out);
        if now != old && differences(&expected, &now).len() > 1 {
            partial += 1;
        }
        let problems = old_or_new(&old, &files, &now);
        assert!(problems.is_empty(), "kill {i}: {problems:#?}");
        let dangling = dangling_references(&out);
        assert!(dangling.is_empty(), "kill {i}: {dangling:#?}");
        bin().arg("--flake").arg(&dir).assert().success();
        assert_eq!(
            differences(&expected, &snapshot(&out)),
            Vec::<String>::new(),
            "kill {i}: the next run did not complete the work"
        );
    }
    eprintln!("{partial} of {KILLS} kills stopped a run half-way through its writes");
}

/// The names in `dir` that are staging directories of a first generation.
fn staging_dirs(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(inventory_gen::write::STAGING_INFIX))
                .collect()
        })
        .unwrap_or_default()
}

/// A flake at version `v` that was never generated.
fn new_flake(dir: &Path, v: (usize, usize, &str)) {
    write_files(dir, &[("flake.nix", &flake_text(v)), LEGACY_ROLE]);
}

#[cfg(unix)]
#[test]
fn a_first_generation_killed_at_arbitrary_moments_leaves_all_or_nothing() {
    use std::time::Instant;
    let temp = tempfile::tempdir().expect("tempdir");
    let expected_dir = temp.path().join("expected");
    generated_flake(&expected_dir, big(NEW));
    let expected = snapshot(&expected_dir.join("generated/inventory"));

    let probe = temp.path().join("probe");
    new_flake(&probe, big(NEW));
    let start = Instant::now();
    bin().arg("--flake").arg(&probe).assert().success();
    let full = start.elapsed();
    eprintln!("a whole first generation takes {full:?}");

    let (mut nothing, mut all) = (0, 0);
    for i in 0..KILLS {
        let dir = temp.path().join(format!("first-{i}"));
        new_flake(&dir, big(NEW));
        let out = dir.join("generated/inventory");
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("inventory-gen"))
            .arg("--flake")
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(full.mul_f64(f64::from(i) / f64::from(KILLS) + 0.1));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if out.exists() {
            assert_eq!(
                differences(&expected, &snapshot(&out)),
                Vec::<String>::new(),
                "kill {i}: the output directory appeared incomplete"
            );
            all += 1;
        } else {
            nothing += 1;
        }
        // The next run completes the work and removes what the killed one staged.
        bin().arg("--flake").arg(&dir).assert().success();
        assert_eq!(
            differences(&expected, &snapshot(&out)),
            Vec::<String>::new(),
            "kill {i}: the next run did not complete the work"
        );
        assert_eq!(
            staging_dirs(&dir.join("generated")),
            Vec::<String>::new(),
            "kill {i}"
        );
    }
    eprintln!("of {KILLS} kills, {nothing} left no output directory and {all} a complete one");
}

#[test]
fn concurrent_first_generations_agree_and_leave_no_staging_behind() {
    let temp = tempfile::tempdir().expect("tempdir");
    let expected_dir = temp.path().join("expected");
    generated_flake(&expected_dir, NEW);
    let expected = snapshot(&expected_dir.join("generated/inventory"));
    for round in 0..4 {
        let dir = temp.path().join(format!("round-{round}"));
        new_flake(&dir, NEW);
        let children: Vec<_> = (0..4)
            .map(|_| {
                std::process::Command::new(assert_cmd::cargo::cargo_bin("inventory-gen"))
                    .arg("--flake")
                    .arg(&dir)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().expect("wait");
            assert!(
                output.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let out = dir.join("generated/inventory");
        assert_eq!(
            differences(&expected, &snapshot(&out)),
            Vec::<String>::new(),
            "round {round}"
        );
        assert_eq!(staging_dirs(&dir.join("generated")), Vec::<String>::new());
    }
}

/// Writes and removes like a case-insensitive file system: after writing `Jon.nix`, the name
/// `jon.nix` is the same file, and removing either name removes both.
struct CaseInsensitive;

impl Sink for CaseInsensitive {
    fn write_file(&mut self, path: &Path, contents: &str) -> std::io::Result<()> {
        Disk.write_file(path, contents)?;
        let dir = path.parent().expect("parent");
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_lowercase();
        for entry in std::fs::read_dir(dir)? {
            let other = entry?.path();
            let other_name = other
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            if other != path && other_name.to_lowercase() == name {
                std::fs::remove_file(&other)?;
                std::fs::hard_link(path, &other)?;
            }
        }
        Ok(())
    }

    fn remove_file(&mut self, path: &Path) -> std::io::Result<()> {
        let dir = path.parent().expect("parent");
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_lowercase();
        for entry in std::fs::read_dir(dir)? {
            let other = entry?.path();
            if other
                .file_name()
                .expect("name")
                .to_string_lossy()
                .to_lowercase()
                == name
            {
                std::fs::remove_file(&other)?;
            }
        }
        Ok(())
    }
}

#[test]
fn renaming_a_machine_by_case_keeps_its_file_on_a_case_insensitive_file_system() {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path().join("flake");
    write_files(
        &dir,
        &[(
            "flake.nix",
            "{ outputs = _: { inventory.machines.jon = { }; }; }\n",
        )],
    );
    bin().arg("--flake").arg(&dir).assert().success();
    write_files(
        &dir,
        &[(
            "flake.nix",
            "{ outputs = _: { inventory.machines.Jon = { }; }; }\n",
        )],
    );
    let (out, files) = emitted(&dir);
    let plan = inventory_gen::write::plan(&out, &files).expect("plan");
    inventory_gen::write::apply(&out, &files, &plan, &mut CaseInsensitive).expect("apply");
    let stub =
        std::fs::read_to_string(out.join("machines/Jon.nix")).expect("the new stub is there");
    assert_eq!(stub, files[Path::new("machines/Jon.nix")]);
}

/// A first generation that fails (a full disk at any file) leaves the flake as it was: no output
/// directory, no staging directory, and not the `generated/` directory it created above them.
#[test]
fn a_first_generation_on_a_full_disk_leaves_the_flake_as_it_was() {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path().join("flake");
    new_flake(&dir, OLD);
    let (out, files) = emitted(&dir);
    assert_eq!(out, dir.join("generated/inventory"));
    let before = snapshot(&dir);
    for fail_at in [0, 1, files.len() / 2, files.len() - 1] {
        let mut sink = Faulty {
            done: 0,
            fail_at,
            crash: false,
            error: no_space,
        };
        let d = inventory_gen::write::create_all(&out, &files, &mut sink).expect_err("fails");
        assert_eq!(d.kind.code(), "io");
        assert!(
            d.message.contains("No space left on device"),
            "{}",
            d.message
        );
        assert!(
            d.hint.as_deref().unwrap_or("").contains("the disk is full"),
            "{:?}",
            d.hint
        );
        assert_eq!(differences(&before, &snapshot(&dir)), Vec::<String>::new());
        assert!(!dir.join("generated").exists(), "fail_at {fail_at}");
    }
    // A `generated/` that was there before stays.
    std::fs::create_dir(dir.join("generated")).expect("mkdir");
    let mut sink = Faulty {
        done: 0,
        fail_at: 0,
        crash: false,
        error: no_space,
    };
    inventory_gen::write::create_all(&out, &files, &mut sink).expect_err("fails");
    assert!(dir.join("generated").is_dir());
    assert!(staging_dirs(&dir.join("generated")).is_empty());
}
