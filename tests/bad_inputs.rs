//! Bad inputs that cannot be committed as files — links out of the flake, pipes, binary
//! garbage, 50 MB files, absurd nesting — built at test time, plus every committed
//! `tests/cases/err-*` flake run again with a previously generated output directory in place.
//!
//! Each case starts from a flake whose output was generated, breaks it, and runs
//! `inventory-gen` (with a timeout: nothing may hang). It must exit non-zero with the expected
//! diagnostic code and message, leave the output directory byte-identical (links and special
//! files included), and leave everything outside the flake untouched.

mod reliability;

use reliability::{bin, copy_dir, differences, snapshot, write_files};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

const BASE: &str = r#"{
  outputs = _: {
    modules.svc = { roles.peer = { }; };
    inventory = {
      machines.jon.tags = [ "web" ];
      machines.sara = { };
      instances.mesh = {
        module.name = "svc";
        roles.peer.tags.all = { };
      };
    };
  };
}
"#;

/// The base flake with one more machine: generating it would change files.
const CHANGED: &str = r#"{
  outputs = _: {
    modules.svc = { roles.peer = { }; };
    inventory = {
      machines.jon.tags = [ "web" ];
      machines.sara = { };
      machines.tim = { };
      instances.mesh = {
        module.name = "svc";
        roles.peer.tags.all = { };
      };
    };
  };
}
"#;

struct Env {
    _temp: tempfile::TempDir,
    flake: PathBuf,
    outside: PathBuf,
}

impl Env {
    fn out(&self) -> PathBuf {
        self.flake.join("generated/inventory")
    }
}

/// A generated flake beside a directory `outside` holding files an attacker would like read
/// or written.
fn env() -> Env {
    let temp = tempfile::tempdir().expect("tempdir");
    let flake = temp.path().join("flake");
    let outside = temp.path().join("outside");
    write_files(&flake, &[("flake.nix", BASE)]);
    write_files(
        &outside,
        &[
            ("secret.nix", "{ machines.stolen = { }; }\n"),
            ("inventory.json", "{ \"machines\": { \"stolen\": { } } }\n"),
            ("machines/stolen/configuration.nix", "{ }\n"),
            ("out/keep.txt", "must stay\n"),
            ("passwd", "root:x:0:0\n"),
        ],
    );
    let run = bin().arg("--flake").arg(&flake).output().expect("run");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    Env {
        _temp: temp,
        flake,
        outside,
    }
}

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

/// A sparse file of `len` bytes, made without writing them.
fn sparse(path: &Path, len: u64) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::File::create(path)
        .and_then(|f| f.set_len(len))
        .expect("sparse file");
}

struct Case {
    name: &'static str,
    setup: fn(&Env),
    /// Exit code and `(code, message fragment)` of diagnostics that must appear.
    exit: i32,
    expect: &'static [(&'static str, &'static str)],
}

const MB50: u64 = 50 * 1024 * 1024;

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a link in machines/ leading out of the flake",
            setup: |e| {
                std::fs::create_dir_all(e.flake.join("machines")).expect("mkdir");
                symlink(
                    e.outside.join("machines/stolen"),
                    e.flake.join("machines/stolen"),
                )
                .expect("symlink");
            },
            exit: 1,
            expect: &[("bad-import", "machines/stolen` leads outside the flake")],
        },
        Case {
            name: "machines/ itself a link leading out of the flake",
            setup: |e| {
                symlink(e.outside.join("machines"), e.flake.join("machines")).expect("symlink");
            },
            exit: 1,
            expect: &[("bad-import", "`machines` leads outside the flake")],
        },
        Case {
            name: "inventory.json a link leading out of the flake",
            setup: |e| {
                symlink(
                    e.outside.join("inventory.json"),
                    e.flake.join("inventory.json"),
                )
                .expect("symlink");
            },
            exit: 1,
            expect: &[("bad-import", "`inventory.json` leads outside the flake")],
        },
        Case {
            name: "inventory.json a dangling link",
            setup: |e| {
                symlink(
                    e.outside.join("nothing.json"),
                    e.flake.join("inventory.json"),
                )
                .expect("symlink");
            },
            exit: 1,
            expect: &[("missing-file", "cannot read `inventory.json`: no such file")],
        },
        Case {
            name: "an imported file that is a link out of the flake",
            setup: |e| {
                write_files(
                    &e.flake,
                    &[(
                        "flake.nix",
                        "{ outputs = _: { inventory = import ./clan.nix; }; }\n",
                    )],
                );
                symlink(e.outside.join("secret.nix"), e.flake.join("clan.nix")).expect("symlink");
            },
            exit: 1,
            expect: &[("bad-import", "`clan.nix` leads outside the flake")],
        },
        Case {
            name: "a directory link in the middle of an import path",
            setup: |e| {
                write_files(
                    &e.flake,
                    &[(
                        "flake.nix",
                        "{ outputs = _: { inventory = import ./sub/secret.nix; }; }\n",
                    )],
                );
                symlink(&e.outside, e.flake.join("sub")).expect("symlink");
            },
            exit: 1,
            expect: &[("bad-import", "`sub/secret.nix` leads outside the flake")],
        },
        Case {
            name: "the output directory a link out of the flake",
            setup: |e| {
                std::fs::remove_dir_all(e.out()).expect("rm");
                symlink(e.outside.join("out"), e.out()).expect("symlink");
                write_files(&e.flake, &[("flake.nix", CHANGED)]);
            },
            exit: 2,
            expect: &[(
                "io",
                "is a symbolic link; inventory-gen does not write through links",
            )],
        },
        Case {
            name: "generated/ a link out of the flake",
            setup: |e| {
                std::fs::remove_dir_all(e.flake.join("generated")).expect("rm");
                symlink(e.outside.join("out"), e.flake.join("generated")).expect("symlink");
                write_files(&e.flake, &[("flake.nix", CHANGED)]);
            },
            exit: 2,
            expect: &[("io", "generated` is a symbolic link")],
        },
        Case {
            name: "a generated file replaced by a link out of the flake",
            setup: |e| {
                let stub = e.out().join("machines/jon.nix");
                std::fs::remove_file(&stub).expect("rm");
                symlink(e.outside.join("passwd"), &stub).expect("symlink");
                write_files(&e.flake, &[("flake.nix", CHANGED)]);
            },
            exit: 2,
            expect: &[(
                "io",
                "machines/jon.nix` is a symbolic link in the output directory",
            )],
        },
        Case {
            name: "binary garbage as flake.nix",
            setup: |e| {
                let garbage: Vec<u8> = (0..4096u32)
                    .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                    .collect();
                std::fs::write(e.flake.join("flake.nix"), garbage).expect("write");
            },
            exit: 1,
            expect: &[("syntax", "`flake.nix` is not UTF-8: it is binary, not text")],
        },
        Case {
            name: "NUL bytes in inventory.json",
            setup: |e| {
                std::fs::write(
                    e.flake.join("inventory.json"),
                    b"{ \"machines\": { } }\0\0\x01",
                )
                .expect("write");
            },
            exit: 1,
            expect: &[("syntax", "`inventory.json` contains a NUL byte")],
        },
        Case {
            name: "a byte order mark before flake.nix",
            setup: |e| {
                std::fs::write(e.flake.join("flake.nix"), format!("\u{feff}{BASE}"))
                    .expect("write");
            },
            exit: 1,
            expect: &[("syntax", "byte order mark")],
        },
        Case {
            name: "a 50 MB inventory.json",
            setup: |e| sparse(&e.flake.join("inventory.json"), MB50),
            exit: 1,
            expect: &[(
                "missing-file",
                "cannot read `inventory.json`: it is 50.0 MiB, more than the 16 MiB",
            )],
        },
        Case {
            name: "a 50 MB file read with readFile",
            setup: |e| {
                sparse(&e.flake.join("big.json"), MB50);
                write_files(
                    &e.flake,
                    &[(
                        "flake.nix",
                        "{ outputs = _: { inventory = builtins.fromJSON (builtins.readFile ./big.json); }; }\n",
                    )],
                );
            },
            exit: 1,
            expect: &[("missing-file", "`big.json`: it is 50.0 MiB")],
        },
        Case {
            name: "a 50 MB foreign file in the output directory",
            setup: |e| {
                sparse(&e.out().join("machines/big.nix"), MB50);
                write_files(&e.flake, &[("flake.nix", CHANGED)]);
            },
            exit: 1,
            expect: &[(
                "foreign-file",
                "machines/big.nix` was not generated by inventory-gen",
            )],
        },
        Case {
            name: "a pipe as inventory.json",
            setup: |e| mkfifo(&e.flake.join("inventory.json")),
            exit: 1,
            expect: &[("missing-file", "`inventory.json`: it is not a regular file")],
        },
        Case {
            name: "a pipe imported by flake.nix",
            setup: |e| {
                mkfifo(&e.flake.join("clan.nix"));
                write_files(
                    &e.flake,
                    &[(
                        "flake.nix",
                        "{ outputs = _: { inventory = import ./clan.nix; }; }\n",
                    )],
                );
            },
            exit: 1,
            expect: &[("missing-file", "`clan.nix`: it is not a regular file")],
        },
        Case {
            name: "a pipe in the output directory",
            setup: |e| {
                mkfifo(&e.out().join("machines/tim.nix"));
                write_files(&e.flake, &[("flake.nix", CHANGED)]);
            },
            exit: 1,
            expect: &[("foreign-file", "machines/tim.nix` is not a regular file")],
        },
        Case {
            name: "a directory where a generated file goes",
            setup: |e| {
                std::fs::create_dir_all(e.out().join("machines/tim.nix")).expect("mkdir");
                write_files(&e.flake, &[("flake.nix", CHANGED)]);
            },
            exit: 1,
            expect: &[("foreign-file", "machines/tim.nix` is a directory where")],
        },
        Case {
            name: "a directory named inventory.json",
            setup: |e| std::fs::create_dir_all(e.flake.join("inventory.json")).expect("mkdir"),
            exit: 1,
            expect: &[("missing-file", "`inventory.json`: it is a directory")],
        },
        Case {
            name: "JSON nested 100 000 deep",
            setup: |e| {
                let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
                write_files(
                    &e.flake,
                    &[("inventory.json", &format!("{{\"meta\": {text}}}"))],
                );
            },
            exit: 1,
            expect: &[("syntax", "nesting depth")],
        },
        Case {
            name: "Nix lists nested 20 000 deep",
            setup: |e| {
                let text = format!("{}{}", "[ ".repeat(20_000), "]".repeat(20_000));
                write_files(
                    &e.flake,
                    &[(
                        "flake.nix",
                        &format!("{{ outputs = _: {{ inventory.meta.name = {text}; }}; }}\n"),
                    )],
                );
            },
            exit: 1,
            expect: &[("syntax", "nested too deeply to parse")],
        },
        Case {
            name: "Nix attribute sets nested 3000 deep",
            setup: |e| {
                let text = format!("{}1{}", "{ a = ".repeat(3000), "; }".repeat(3000));
                write_files(
                    &e.flake,
                    &[(
                        "flake.nix",
                        &format!("{{ outputs = _: {{ inventory.meta = {text}; }}; }}\n"),
                    )],
                );
            },
            exit: 1,
            expect: &[("syntax", "nested too deeply to parse")],
        },
        Case {
            name: "a value nested 600 deep through let",
            setup: |e| {
                let mut text = String::from("let x0 = 1;\n");
                for i in 1..600 {
                    text.push_str(&format!("x{i} = {{ a = x{}; }};\n", i - 1));
                }
                text.push_str("in x599");
                write_files(
                    &e.flake,
                    &[(
                        "flake.nix",
                        &format!("{{ outputs = _: {{ inventory.meta = {text}; }}; }}\n"),
                    )],
                );
            },
            exit: 1,
            expect: &[("not-static", "nested too deeply")],
        },
        Case {
            name: "a let chain 20 000 long",
            setup: |e| {
                let mut text = String::from("let x0 = { };\n");
                for i in 1..20_000 {
                    text.push_str(&format!("x{i} = x{};\n", i - 1));
                }
                text.push_str("in x19999");
                write_files(
                    &e.flake,
                    &[(
                        "flake.nix",
                        &format!("{{ outputs = _: {{ inventory.meta = {text}; }}; }}\n"),
                    )],
                );
            },
            exit: 1,
            expect: &[("eval-error", "nested too deeply")],
        },
        Case {
            name: "a machine directory whose name is not UTF-8",
            setup: |e| {
                use std::os::unix::ffi::OsStrExt as _;
                let name = std::ffi::OsStr::from_bytes(b"caf\xe9");
                std::fs::create_dir_all(e.flake.join("machines").join(name)).expect("mkdir");
            },
            exit: 1,
            expect: &[("bad-name", "is not UTF-8 text")],
        },
        Case {
            name: "an attempt to run a program",
            setup: |e| {
                let canary = e.outside.join("pwned");
                let text = format!(
                    "{{ outputs = _: let x = builtins.exec [ \"touch\" \"{}\" ]; in {{ inventory.meta.name = x; }}; }}\n",
                    canary.display()
                );
                write_files(&e.flake, &[("flake.nix", &text)]);
            },
            exit: 1,
            expect: &[("not-static", "`builtins.exec …` cannot be known")],
        },
    ]
}

#[test]
fn bad_inputs_built_at_test_time_give_clear_errors_and_change_nothing() {
    let mut failures = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 20);
    for case in &cases {
        let started = std::time::Instant::now();
        let e = env();
        (case.setup)(&e);
        let out_before = snapshot(&e.flake.join("generated"));
        let outside_before = snapshot(&e.outside);
        for command in ["generate", "check"] {
            let run = bin()
                .arg(command)
                .arg("--flake")
                .arg(&e.flake)
                .timeout(Duration::from_secs(60))
                .output()
                .expect("run");
            let stderr = String::from_utf8_lossy(&run.stderr);
            let mut problems = Vec::new();
            if run.status.code() != Some(case.exit) {
                problems.push(format!(
                    "exit {:?}, expected {}",
                    run.status.code(),
                    case.exit
                ));
            }
            for (code, fragment) in case.expect {
                let found = stderr
                    .split("\n\n")
                    .any(|d| d.contains(&format!("error[{code}]")) && d.contains(fragment));
                if !found {
                    problems.push(format!("no error[{code}] containing {fragment:?}"));
                }
            }
            if stderr.contains("internal") || stderr.contains("panicked") {
                problems.push("it panicked".into());
            }
            problems.extend(differences(
                &out_before,
                &snapshot(&e.flake.join("generated")),
            ));
            problems.extend(
                differences(&outside_before, &snapshot(&e.outside))
                    .into_iter()
                    .map(|d| format!("outside the flake: {d}")),
            );
            if !problems.is_empty() {
                let shown: String = stderr.chars().take(1500).collect();
                failures.push(format!("{} ({command}): {problems:?}\n{shown}", case.name));
            }
        }
        eprintln!("{:>6} ms  {}", started.elapsed().as_millis(), case.name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every committed bad flake, run with a generated output directory already in place: the
/// run fails the way its transcript says, and the output stays byte-identical.
#[test]
fn committed_bad_inputs_leave_an_existing_output_untouched() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let previous = snapshot(&root.join("tests/cases/mesh/generated"));
    assert!(!previous.is_empty());
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root.join("tests/cases"))
        .expect("tests/cases")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("err-"))
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let temp = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    for case in &cases {
        let transcript = std::fs::read_to_string(case.join("expected.txt")).expect("transcript");
        let expected_exit: i32 = transcript
            .lines()
            .find_map(|l| l.strip_prefix("exit: "))
            .and_then(|c| c.parse().ok())
            .expect("exit line");
        let codes: Vec<&str> = transcript
            .lines()
            .filter_map(|l| l.strip_prefix("error["))
            .filter_map(|l| l.split(']').next())
            .collect();
        let dir = temp.path().join(case.file_name().expect("name"));
        copy_dir(case, &dir);
        copy_dir(
            &root.join("tests/cases/mesh/generated"),
            &dir.join("generated"),
        );
        let run = reliability::run_in_process(&[
            "generate",
            "--no-nix",
            "--flake",
            dir.to_str().expect("utf-8"),
        ]);
        let after = snapshot(&dir.join("generated"));
        match run {
            Err(panic) => failures.push(format!("{}: panicked: {panic}", case.display())),
            Ok(run) => {
                if i32::from(run.code) != expected_exit || expected_exit == 0 {
                    failures.push(format!(
                        "{}: exit {} (transcript: {expected_exit})\n{}",
                        case.display(),
                        run.code,
                        run.rendered
                    ));
                }
                for code in &codes {
                    if !run.diagnostics.iter().any(|(c, _)| c == code) {
                        failures.push(format!("{}: no {code} diagnostic", case.display()));
                    }
                }
            }
        }
        let changed = differences(&previous, &after);
        if !changed.is_empty() {
            failures.push(format!("{}: output changed: {changed:?}", case.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
