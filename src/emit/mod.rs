//! The `emit` stage: turns the resolved graph into the text of every generated file.

pub mod nix;
