//! inventory-gen: reads a clan inventory statically from a flake and writes one small NixOS /
//! nix-darwin module per machine.
//!
//! The pipeline runs in one direction, each stage a module: [`read`] (files → spanned values),
//! [`lower`] (values → typed inventory), [`resolve`] (inventory → membership graph), [`emit`]
//! (graph → file texts), [`write`] (file texts → disk, atomically). Only `read` and `write`
//! touch the file system; every stage returns its diagnostics instead of stopping at the first.
//! [`migrate`] plans the rewrite of legacy `services` into `instances` as text edits.
//! [`parallel`] splits the few independent halves of a run between two threads.

pub mod cli;
pub mod diagnostics;
pub mod emit;
pub mod inspect;
pub mod interface;
pub mod lower;
pub mod migrate;
pub mod parallel;
pub mod read;
pub mod resolve;
pub mod schema;
pub mod timing;
pub mod write;
