//! Replacing the flake's own source files, for `migrate`: each atomically (a temporary file
//! beside it, synced, renamed over it), keeping its permissions.

use super::io;
use crate::diagnostics::Diagnostic;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Replaces source files of the flake (for `migrate`), each atomically (a temporary file beside
/// it, synced, renamed over it) and keeping its permissions; a symbolic link is followed to the
/// file it names. Stops at the first failure; files already replaced are complete.
pub fn replace_sources(files: &[(PathBuf, String)]) -> Result<(), Diagnostic> {
    for (path, text) in files {
        let fail = |e: std::io::Error| io(format!("cannot write `{}`: {e}", path.display()));
        let target = path.canonicalize().map_err(fail)?;
        let permissions = std::fs::metadata(&target).map_err(fail)?.permissions();
        let dir = target.parent().unwrap_or(Path::new("."));
        let mut temp = tempfile::Builder::new()
            .prefix(".inventory-gen-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(fail)?;
        temp.write_all(text.as_bytes()).map_err(fail)?;
        std::fs::set_permissions(temp.path(), permissions).map_err(fail)?;
        temp.as_file().sync_all().map_err(fail)?;
        temp.persist(&target).map_err(|e| fail(e.error))?;
    }
    Ok(())
}
