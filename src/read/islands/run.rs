//! Running the user's Nix on one island: `nix-instantiate --eval --strict --json` on a file
//! holding the island's program, with flakes enabled (for `builtins.getFlake`), under a time
//! limit after which the child is killed. Output goes to files, so a large result or a chatty
//! error can never block the child; nothing is read from the terminal.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The program that evaluates islands.
pub const NIX: &str = "nix-instantiate";

/// The arguments given to [`NIX`] before the program's file.
pub const ARGS: [&str; 5] = [
    "--eval",
    "--strict",
    "--json",
    "--extra-experimental-features",
    "nix-command flakes",
];

/// The command line as a user would type it, for `--verbose`.
pub fn command_line(file: &str) -> String {
    format!(
        "{NIX} --eval --strict --json --extra-experimental-features 'nix-command flakes' {file}"
    )
}

/// Why an island gave no value.
pub enum Failure {
    /// Nix ran and failed; its error output, with the program's file name replaced.
    Nix(String),
    /// Nix did not finish in time (and was killed).
    Timeout(Duration),
    /// Nix could not be started, or its output could not be read.
    Io(String),
}

/// Whether an executable called `name` is on `PATH`.
pub fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(name))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// Evaluates `program` with Nix; returns its JSON output and how long it took.
pub fn evaluate(program: &str, timeout: Duration) -> Result<(String, Duration), Failure> {
    let io = |what: &str, e: std::io::Error| Failure::Io(format!("{what}: {e}"));
    let dir = tempfile::Builder::new()
        .prefix("inventory-gen-island")
        .tempdir()
        .map_err(|e| io("cannot create a temporary directory", e))?;
    let file = dir.path().join("island.nix");
    std::fs::write(&file, program).map_err(|e| io("cannot write the island's program", e))?;
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let stdout =
        std::fs::File::create(&out_path).map_err(|e| io("cannot capture Nix's output", e))?;
    let stderr =
        std::fs::File::create(&err_path).map_err(|e| io("cannot capture Nix's output", e))?;
    let start = Instant::now();
    let mut child = Command::new(NIX)
        .args(ARGS)
        .arg(&file)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .map_err(|e| io(&format!("cannot run `{NIX}`"), e))?;
    let mut pause = Duration::from_millis(2);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::Timeout(timeout));
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io("cannot wait for Nix", e));
            }
        }
    };
    let elapsed = start.elapsed();
    let read = |p: &Path| std::fs::read(p).map(|b| String::from_utf8_lossy(&b).into_owned());
    let stdout = read(&out_path).map_err(|e| io("cannot read Nix's output", e))?;
    if status.success() {
        return Ok((stdout, elapsed));
    }
    let stderr = read(&err_path).map_err(|e| io("cannot read Nix's output", e))?;
    let shown = file.display().to_string();
    let message = stderr.replace(&shown, "<island>");
    Err(Failure::Nix(trim(&message)))
}

/// Nix's error without colours, at most 40 lines.
fn trim(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ … letter
            if chars.peek() == Some(&'[') {
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        plain.push(c);
    }
    let lines: Vec<&str> = plain.trim_end().lines().collect();
    if lines.len() > 40 {
        let mut out = lines[..40].join("\n");
        out.push_str(&format!("\n… ({} more lines)", lines.len() - 40));
        out
    } else {
        lines.join("\n")
    }
}

/// `nix-instantiate --version`, once per process, for `--verbose`.
pub fn version() -> String {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION
        .get_or_init(|| {
            Command::new(NIX)
                .arg("--version")
                .stdin(Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_else(|| "unknown".into())
        })
        .clone()
}
