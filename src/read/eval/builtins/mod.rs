//! Nix's builtins and the nixpkgs `lib` functions the reader knows, as one registry: each entry
//! has a name, an arity and a function over unevaluated arguments (thunks), so laziness is the
//! entry's own business, as in Nix. A builtin is reached as `builtins.<name>`, as a global name
//! where Nix has one, or as `lib.<name>` on any value that is nixpkgs' `lib`.

mod attrs;
mod control;
mod files;
mod json;
mod lib;
mod lib_attrs;
mod lib_lists;
mod lib_strings;
mod lists;
mod numbers;
mod posix;
mod sort;
mod strings;
pub(crate) mod support;
mod types;

pub use lib::find_nested as find_lib_nested;

use super::Evaluator;
use super::errors::type_error;
use super::value::*;
use crate::diagnostics::{Diagnostic, Span};
use crate::read::data::OverrideStyle;

/// One builtin: Nix's or a nixpkgs `lib` function. `run` gets exactly `arity` arguments.
pub struct BuiltinDef {
    pub name: &'static str,
    pub arity: usize,
    pub run: fn(&mut Evaluator, &[Thunk], Span) -> Result<Val, Diagnostic>,
}

/// Builtins are compared by identity: each has exactly one definition.
pub type Builtin = &'static BuiltinDef;

impl std::fmt::Debug for BuiltinDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "builtin {}", self.name)
    }
}

/// Where a name is looked up: `builtins.<name>` (and the global names Nix gives some of them),
/// or `lib.<name>`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Namespace {
    Builtins,
    Lib,
}

/// The builtin called `name` in `namespace`, if the reader knows it.
pub fn find(namespace: Namespace, name: &str) -> Option<Builtin> {
    let table: &[&[BuiltinDef]] = match namespace {
        Namespace::Builtins => &[
            files::FILES,
            json::JSON,
            control::CONTROL,
            types::TYPES,
            numbers::NUMBERS,
            lists::LISTS,
            attrs::ATTRS,
            strings::STRINGS,
        ],
        Namespace::Lib => return lib::find_top(name),
    };
    table.iter().flat_map(|t| t.iter()).find(|b| b.name == name)
}

/// Names Nix binds globally (without `builtins.`) that the reader knows; Nix also binds
/// `__<name>` for each builtin that has no global name of its own (`__filter`, not `__map`).
pub fn find_global(name: &str) -> Option<Builtin> {
    if GLOBAL_NAMES.contains(&name) {
        find(Namespace::Builtins, name)
    } else if let Some(rest) = name.strip_prefix("__")
        && !GLOBAL_NAMES.contains(&rest)
    {
        find(Namespace::Builtins, rest)
    } else {
        None
    }
}

/// Every name Nix 2.8 binds globally besides `true`, `false`, `null` and `builtins`.
pub const GLOBAL_NAMES: &[&str] = &[
    "abort",
    "baseNameOf",
    "break",
    "derivation",
    "derivationStrict",
    "dirOf",
    "fetchGit",
    "fetchMercurial",
    "fetchTarball",
    "fetchTree",
    "fromTOML",
    "import",
    "isNull",
    "map",
    "placeholder",
    "removeAttrs",
    "scopedImport",
    "throw",
    "toString",
];

pub(crate) fn arg(ev: &mut Evaluator, args: &[Thunk], i: usize) -> Result<Val, Diagnostic> {
    ev.force(&args[i])
}

/// The priority functions of nixpkgs' module system.
static LIB_CORE: [BuiltinDef; 3] = [
    BuiltinDef {
        name: "mkForce",
        arity: 1,
        run: mk_force,
    },
    BuiltinDef {
        name: "mkDefault",
        arity: 1,
        run: mk_default,
    },
    BuiltinDef {
        name: "mkOverride",
        arity: 2,
        run: mk_override,
    },
];

pub(crate) fn priority(args: &[Thunk], span: Span, priority: i64, style: OverrideStyle) -> Val {
    Val {
        v: V::Override {
            priority,
            style,
            content: args[0].clone(),
        },
        span,
    }
}

pub(crate) fn mk_force(_: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    Ok(priority(args, span, 50, OverrideStyle::Force))
}

pub(crate) fn mk_default(_: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    Ok(priority(args, span, 1000, OverrideStyle::Default))
}

pub(crate) fn mk_override(
    ev: &mut Evaluator,
    args: &[Thunk],
    span: Span,
) -> Result<Val, Diagnostic> {
    let p = arg(ev, args, 0)?;
    let V::Int(level) = p.v else {
        return Err(type_error(p.span, "an integer priority", &p));
    };
    Ok(priority(&args[1..], span, level, OverrideStyle::Override))
}
