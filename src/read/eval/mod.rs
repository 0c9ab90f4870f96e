//! A lazy evaluator for the pure Nix that inventories are written in.
//!
//! It follows Nix's semantics for what it supports: laziness, `let`/`rec` scoping, `inherit`,
//! dotted and dynamic attribute names, string escapes and indentation, lambdas, `with` (which
//! never shadows lexical or global names), operators, `import`, and the builtins and nixpkgs
//! `lib` functions of its registry (`builtins/`). Everything it cannot know — flake inputs,
//! module arguments such as `config`, calls of unknown functions — becomes an *opaque* value
//! that remembers where it was made; forcing one where data is needed is a `not-static` error at
//! that span, never a guess. Files are only read below the flake root. Calls of opaque functions
//! are recorded so the discovery step can find `mkFlake { … }` and `lib.clan { … }`.
//!
//! One file per idea: `value` (values, thunks, scopes), `expr` (expressions), `attrs` (attribute
//! sets and `let`), `files` (reading and importing), `force` (values into data), `errors`
//! (diagnostics), `builtins` (the registry of builtins and `lib` functions).

mod attrs;
pub mod builtins;
mod errors;
mod expr;
mod files;
mod force;
mod value;

pub use errors::clamp_span;
pub use files::{MAX_FILE_BYTES, normalize};
pub use force::data_to_val;
pub use value::{
    AttrMap, Binding, Call, Closure, Env, Opaque, Scope, Thunk, V, Val, opaque_val, type_name,
};

use super::strings;
use crate::diagnostics::{Diagnostic, FileId, Kind, SourceMap, Span};
use errors::err;
use rnix::ast;
use rowan::ast::AstNode;
use std::collections::HashMap;
use std::path::PathBuf;
pub(crate) use value::ThunkState;

/// Deeper nesting than this is reported instead of risking the stack.
pub(crate) const MAX_DEPTH: usize = 400;

pub(crate) struct LoadedFile {
    pub(crate) id: FileId,
    pub(crate) root: Result<ast::Expr, Diagnostic>,
}

pub struct Evaluator {
    pub sources: SourceMap,
    /// Canonical flake root: nothing outside it is read.
    pub root: PathBuf,
    pub(crate) files: HashMap<PathBuf, LoadedFile>,
    pub(crate) imports: HashMap<PathBuf, Thunk>,
    pub calls: Vec<Call>,
    pub(crate) depth: usize,
    /// Texts that replace files on disk (absolute path → text): `migrate` reads its rewrite
    /// back this way before writing anything.
    pub overlay: HashMap<PathBuf, String>,
    /// Islands: values left to the user's Nix (off unless `read_flake` turns them on).
    pub islands: crate::read::islands::State,
}

impl Evaluator {
    pub fn new(root: PathBuf) -> Evaluator {
        Evaluator {
            sources: SourceMap::default(),
            root,
            files: HashMap::new(),
            imports: HashMap::new(),
            calls: Vec::new(),
            depth: 0,
            overlay: HashMap::new(),
            islands: Default::default(),
        }
    }

    pub fn force(&mut self, thunk: &Thunk) -> Result<Val, Diagnostic> {
        let state = {
            let mut cell = thunk.0.borrow_mut();
            match &*cell {
                ThunkState::Done(r) => return r.clone(),
                ThunkState::Forcing(span) => {
                    return Err(err(
                        Kind::EvalError,
                        *span,
                        "infinite recursion: this value depends on itself",
                    )
                    .with_hint("check imports and `rec`/`let` bindings for cycles"));
                }
                _ => {}
            }
            let span = match &*cell {
                ThunkState::Code { expr, file, .. } => Span::new(*file, expr.syntax().text_range()),
                ThunkState::Deferred(_, span) => *span,
                _ => unreachable!("handled above"),
            };
            std::mem::replace(&mut *cell, ThunkState::Forcing(span))
        };
        let result = match state {
            ThunkState::Code { expr, env, file } => self.eval(&expr, &env, file),
            ThunkState::Deferred(f, _) => f(self),
            _ => unreachable!("handled above"),
        };
        *thunk.0.borrow_mut() = ThunkState::Done(result.clone());
        result
    }

    pub(crate) fn eval(
        &mut self,
        expr: &ast::Expr,
        env: &Env,
        file: FileId,
    ) -> Result<Val, Diagnostic> {
        let span = Span::new(file, expr.syntax().text_range());
        if self.depth >= MAX_DEPTH {
            return Err(err(
                Kind::NotStatic,
                span,
                "the expression is nested too deeply to read",
            ));
        }
        self.depth += 1;
        let result = self.eval_inner(expr, env, file, span);
        self.islands.record(&result, expr, env, file, span);
        self.depth -= 1;
        result
    }
}

/// Evaluates the Nix expression `source`, as if it were the file `expression.nix` at `root`,
/// strictly into the JSON that `nix-instantiate --eval --strict --json` prints for it. Each of
/// `opaque_names` is bound to an opaque value of that name (`lib` then stands for nixpkgs' `lib`,
/// whose functions the reader knows). Used by the differential tests of builtins and `lib`.
pub fn eval_expression_json(
    root: &std::path::Path,
    source: &str,
    opaque_names: &[&str],
) -> Result<serde_json::Value, Diagnostic> {
    let mut ev = Evaluator::new(root.to_path_buf());
    let path = root.join("expression.nix");
    ev.overlay.insert(path.clone(), source.to_string());
    let (file, expr) = ev.parse_file(&path, None)?;
    let vars: HashMap<std::rc::Rc<str>, Thunk> = opaque_names
        .iter()
        .map(|name| {
            let span = Span {
                file,
                start: 0,
                end: 0,
            };
            ((*name).into(), Thunk::ready(opaque_val(name, span)))
        })
        .collect();
    let env = std::rc::Rc::new(Scope::Vars {
        vars: std::cell::RefCell::new(vars),
        parent: std::rc::Rc::new(Scope::Root),
    });
    let thunk = Thunk::code(expr, env, file);
    Ok(ev.force_data(&thunk, false)?.to_json())
}
