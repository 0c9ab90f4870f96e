//! Shell completions and the man page: `inventory-gen completions <shell>` prints a script that
//! its shell parses (`bash -n`, `zsh -n`, `fish --no-execute`; a shell that is not installed is
//! skipped, saying so) and that offers every subcommand and the subcommands' own options;
//! `inventory-gen man` prints roff with a section per subcommand, which `man` renders when it
//! is installed. nix/package.nix installs both.

use assert_cmd::Command;
use std::path::Path;

fn stdout(args: &[&str]) -> String {
    let out = Command::cargo_bin("inventory-gen")
        .expect("binary")
        .args(args)
        .output()
        .expect("run");
    assert!(out.status.success(), "{args:?}: {:?}", out.status);
    assert!(
        out.stderr.is_empty(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn have(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

const SUBCOMMANDS: [&str; 8] = [
    "generate",
    "check",
    "eval",
    "show",
    "graph",
    "schema",
    "migrate",
    "completions",
];

#[test]
fn completions_parse_in_their_shell() {
    let temp = tempfile::tempdir().expect("tempdir");
    for (shell, check) in [
        ("bash", vec!["-n"]),
        ("zsh", vec!["-n"]),
        ("fish", vec!["--no-execute"]),
    ] {
        let script = stdout(&["completions", shell]);
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell}: no `{sub}`");
        }
        // Options of one subcommand only: `check --diff`, `generate --exit-non-zero-on-change`.
        assert!(script.contains("diff"), "{shell}: no --diff");
        assert!(script.contains("exit-non-zero-on-change"), "{shell}");
        if !have(shell) {
            eprintln!("SKIP: {shell} is not installed; its completion script was not parsed");
            continue;
        }
        let file = temp.path().join(format!("inventory-gen.{shell}"));
        std::fs::write(&file, &script).expect("write");
        let out = std::process::Command::new(shell)
            .args(&check)
            .arg(&file)
            .output()
            .expect("run the shell");
        assert!(
            out.status.success(),
            "{shell} does not parse its completions:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A broken script does fail the check, so the check means something.
    if have("bash") {
        let broken = temp.path().join("broken.bash");
        std::fs::write(&broken, "_f() { if then; }\n").expect("write");
        let out = std::process::Command::new("bash")
            .arg("-n")
            .arg(&broken)
            .output()
            .expect("bash");
        assert!(!out.status.success());
    }
}

#[test]
fn completions_refuse_unknown_shells() {
    let out = Command::cargo_bin("inventory-gen")
        .expect("binary")
        .args(["completions", "tcsh"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_page_has_every_subcommand() {
    let page = stdout(&["man"]);
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{page}");
    assert!(page.contains(".TH inventory-gen 1"));
    for sub in SUBCOMMANDS {
        assert!(
            page.contains(&format!(".SH \"COMMAND {}\"", sub.to_uppercase())),
            "no section for {sub}"
        );
    }
    assert!(page.contains("exit\\-non\\-zero\\-on\\-change"));
    if !have("man") || !Path::new("/usr/bin/groff").exists() && !have("groff") {
        eprintln!("SKIP: man/groff not installed; the man page was not rendered");
        return;
    }
    let temp = tempfile::tempdir().expect("tempdir");
    let file = temp.path().join("inventory-gen.1");
    std::fs::write(&file, &page).expect("write");
    let out = std::process::Command::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("COMMAND CHECK"), "{text}");
    assert!(text.contains("--deny-warnings"), "{text}");
}
