//! The spanned data tree: what a statically evaluated inventory value is. Every node remembers
//! the file and byte range it came from, so any later stage can point at it.
//!
//! It is plain data plus two things Nix keeps that JSON cannot: priority wrappers
//! (`lib.mkForce x`, `lib.mkDefault x`, `lib.mkOverride n x`), kept so the module system in Nix
//! can apply them, and verbatim closed expressions (an `extraModules` entry that is a module
//! written inline), spliced into the output unchanged.

use crate::diagnostics::Span;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    pub kind: DataKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DataKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// An absolute, normalised path inside the flake.
    Path(PathBuf),
    List(Vec<Data>),
    Attrs(BTreeMap<String, Entry>),
    Override {
        priority: i64,
        style: OverrideStyle,
        content: Box<Data>,
    },
    /// Source text of a closed Nix expression (no free variables, no relative paths).
    Verbatim(String),
}

/// How a priority wrapper was written, so it is written back the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverrideStyle {
    Force,
    Default,
    Override,
}

/// An attribute: where its name was written, and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key_span: Span,
    pub value: Data,
}

impl Data {
    pub fn new(kind: DataKind, span: Span) -> Data {
        Data { kind, span }
    }

    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            DataKind::Null => "null",
            DataKind::Bool(_) => "a boolean",
            DataKind::Int(_) => "an integer",
            DataKind::Float(_) => "a float",
            DataKind::Str(_) => "a string",
            DataKind::Path(_) => "a path",
            DataKind::List(_) => "a list",
            DataKind::Attrs(_) => "an attribute set",
            DataKind::Override { .. } => "a priority wrapper (lib.mkForce …)",
            DataKind::Verbatim(_) => "a Nix expression",
        }
    }

    pub fn as_attrs(&self) -> Option<&BTreeMap<String, Entry>> {
        match &self.kind {
            DataKind::Attrs(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            DataKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The JSON Nix would print for this value with `--eval --strict --json`; paths print as
    /// their absolute file-system path, verbatim expressions as `{ "$nix": <source text> }`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.kind {
            DataKind::Null => J::Null,
            DataKind::Bool(b) => J::Bool(*b),
            DataKind::Int(i) => J::from(*i),
            DataKind::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or(J::Null),
            DataKind::Str(s) => J::String(s.clone()),
            DataKind::Path(p) => J::String(p.display().to_string()),
            DataKind::List(items) => J::Array(items.iter().map(Data::to_json).collect()),
            DataKind::Attrs(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, e)| (k.clone(), e.value.to_json()))
                    .collect(),
            ),
            DataKind::Override {
                priority, content, ..
            } => serde_json::json!({
                "_type": "override",
                "content": content.to_json(),
                "priority": priority,
            }),
            // Nix code carried into the generated files (a module of an input, an expression
            // that needs `inputs`): shown as its code under the one marker `$nix`.
            DataKind::Verbatim(text) => serde_json::json!({
                "$nix": fill_path_holes(text, |p| p.display().to_string()),
            }),
        }
    }
}

/// In the text of a [`DataKind::Verbatim`] expression carried from the flake, a path of the
/// flake is written `HOLE` + absolute path + `HOLE`: where it is written decides how it is
/// spelled (relative to the generated file, or absolute in `eval`'s JSON). NUL never occurs
/// in Nix source.
pub const PATH_HOLE: char = '\u{0}';

/// The text of a verbatim expression with each path hole replaced by `spell(path)`.
pub fn fill_path_holes(text: &str, spell: impl Fn(&std::path::Path) -> String) -> String {
    if !text.contains(PATH_HOLE) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split(PATH_HOLE).enumerate() {
        if i % 2 == 1 {
            out.push_str(&spell(std::path::Path::new(part)));
        } else {
            out.push_str(part);
        }
    }
    out
}
