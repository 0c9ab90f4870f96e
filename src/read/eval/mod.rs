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
//! Evaluation is bounded: a step budget (every evaluation and every force counts), a memory
//! budget (strings, lists and attribute sets are charged their approximate size before they are
//! built), a nesting limit, and a guard on the thread's real stack, so a runaway expression —
//! exponential strings, infinite recursion, sharing expanded into a tree — ends in an
//! `eval-error` at a span inside it, never in an abort, a stack overflow or a hang.
//!
//! One file per idea: `value` (values, thunks, scopes), `expr` (expressions), `ops` (operators,
//! equality, coercion to strings), `attrs` (attribute sets and `let`), `files` (reading and
//! importing), `force` (values into data), `errors` (diagnostics), `builtins` (the registry of
//! builtins and `lib` functions).

mod attrs;
pub mod builtins;
mod errors;
mod expr;
mod files;
mod force;
mod ops;
mod value;

pub use errors::clamp_span;
pub use files::{MAX_FILE_BYTES, normalize};
pub(crate) use force::recursive_names;
pub use force::{Carry, data_to_val, uses_name};
pub use value::readable_path as value_readable_path;
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
use std::rc::Rc;
pub(crate) use value::ThunkState;

/// Data nested deeper than this (`force_data`) is reported instead of risking the stack.
pub(crate) const MAX_DEPTH: usize = 400;

/// Evaluations nested deeper than this are reported: about 3 000 levels of a recursive
/// function (Nix 2.8 itself overflows its stack somewhere between 10 000 and 100 000).
pub(crate) const MAX_EVAL_DEPTH: usize = 10_000;

/// Evaluation steps (each `eval` and each `force`) one evaluator may take: far above what a
/// real flake needs (the 20 000-machine benchmark takes 180 000), and reached within a second
/// or two by a runaway expression.
pub(crate) const MAX_STEPS: u64 = 5_000_000;

/// Approximate bytes of strings, lists and attribute sets one evaluator may build, counted as
/// they are built (not freed), the data the reader makes of them included: far above a real
/// flake (the 20 000-machine benchmark charges 14 MiB), and reached within a second or two by a
/// value that doubles at each step.
pub(crate) const MAX_BYTES: u64 = 256 << 20;

/// Approximate bytes of one node of `Data` (with its key, in a set), charged as it is built.
pub(crate) const DATA_BYTES: usize = 128;

/// What the stack guard keeps free below the deepest frame it allows: more than the frames one
/// step of evaluation pushes between two checks, even unoptimised.
const STACK_RESERVE: usize = 1 << 20;

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
    /// Applications of the user's own functions named like a clan call (`buildClan = args:
    /// …`), which discovery counts as followed.
    pub reached_calls: std::collections::HashSet<Span>,
    /// Nesting of `force_data` (data depth).
    pub(crate) depth: usize,
    /// Nesting of `eval`.
    pub(crate) eval_depth: usize,
    /// Steps taken and bytes charged so far (see `MAX_STEPS`, `MAX_BYTES`).
    pub(crate) steps: u64,
    pub(crate) bytes: u64,
    /// Lowest stack address evaluation may reach on this thread (0: unknown, no guard).
    stack_floor: usize,
    /// Texts that replace files on disk (absolute path → text): `migrate` reads its rewrite
    /// back this way before writing anything.
    pub overlay: HashMap<PathBuf, String>,
    /// The flake's inputs and `self`, when discovery could build them: code carried into the
    /// generated files names them `inputs` and `inputs.self`.
    pub flake_self: Option<(Rc<AttrMap>, Rc<AttrMap>)>,
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
            reached_calls: std::collections::HashSet::new(),
            depth: 0,
            eval_depth: 0,
            steps: 0,
            bytes: 0,
            stack_floor: stack_floor(),
            overlay: HashMap::new(),
            flake_self: None,
            islands: Default::default(),
        }
    }

    /// Counts one step of evaluation at `span`, and checks the stack: every recursion of the
    /// evaluator (and of walks over values, which force what they walk) passes here.
    #[inline]
    pub(crate) fn step(&mut self, span: Span) -> Result<(), Diagnostic> {
        match self.tick() {
            None => Ok(()),
            Some(stack) => Err(self.over_budget(span, stack)),
        }
    }

    /// Counts a step; `Some(true)` when the stack is exhausted, `Some(false)` when the steps are.
    #[inline]
    fn tick(&mut self) -> Option<bool> {
        self.steps += 1;
        let marker = 0u8;
        let here = std::hint::black_box(&marker) as *const u8 as usize;
        if here < self.stack_floor {
            Some(true)
        } else if self.steps > MAX_STEPS {
            Some(false)
        } else {
            None
        }
    }

    #[cold]
    fn over_budget(&self, span: Span, stack: bool) -> Diagnostic {
        if stack {
            err(
                Kind::EvalError,
                span,
                "this expression is nested too deeply to evaluate (the stack is exhausted)",
            )
            .with_hint("look for a recursion without an end, or one far deeper than needed")
        } else {
            err(
                Kind::EvalError,
                span,
                format!("evaluation stopped here after {MAX_STEPS} steps"),
            )
            .with_hint("look for an infinite or exponential computation, e.g. a recursion without an end or a value expanded into a huge tree")
        }
    }

    /// Charges `bytes` (approximate) to the memory budget before a value of that size is built.
    pub(crate) fn charge(&mut self, bytes: usize, span: Span) -> Result<(), Diagnostic> {
        self.bytes = self.bytes.saturating_add(bytes as u64);
        if self.bytes > MAX_BYTES {
            return Err(err(
                Kind::EvalError,
                span,
                format!(
                    "evaluation stopped here: it builds more than {} MiB of values",
                    MAX_BYTES >> 20
                ),
            )
            .with_hint("look for a value that doubles in size at each step, e.g. `s1 = s0 + s0`"));
        }
        Ok(())
    }

    pub fn force(&mut self, thunk: &Thunk) -> Result<Val, Diagnostic> {
        // Counted even when the value is known: walks over shared values (a tree of `[ x x ]`)
        // take one step per node they visit.
        if let Some(stack) = self.tick() {
            if let ThunkState::Done(Err(e)) = &*thunk.0.borrow() {
                return Err(e.clone());
            }
            let span = thunk.span().unwrap_or(Span {
                file: FileId(0),
                start: 0,
                end: 0,
            });
            return Err(self.over_budget(span, stack));
        }
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
        self.step(span)?;
        if self.eval_depth >= MAX_EVAL_DEPTH {
            return Err(err(
                Kind::EvalError,
                span,
                format!("this expression is nested too deeply to evaluate (more than {MAX_EVAL_DEPTH} levels)"),
            )
            .with_hint("look for a recursion without an end, or one far deeper than needed"));
        }
        self.eval_depth += 1;
        let result = self.eval_inner(expr, env, file, span);
        self.islands.record(&result, expr, env, file, span);
        self.eval_depth -= 1;
        result
    }
}

/// The lowest address this thread's stack may reach before `STACK_RESERVE`, where the platform
/// says where the stack ends; 0 (no guard: the nesting limits alone protect) elsewhere.
fn stack_floor() -> usize {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        // SAFETY: `attr` is initialised by pthread_getattr_np before it is read and destroyed
        // once; `addr` and `size` are plain out-parameters.
        let ok = unsafe {
            if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) != 0 {
                return 0;
            }
            let ok = libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size) == 0;
            libc::pthread_attr_destroy(attr.as_mut_ptr());
            ok
        };
        if ok && size > 0 {
            // Small stacks (2 MiB test threads) keep a quarter free, big ones STACK_RESERVE.
            return addr as usize + STACK_RESERVE.min(size / 4);
        }
    }
    0
}

/// Evaluates the Nix expression `source`, as if it were the file `expression.nix` at `root`,
/// strictly into the JSON that `nix-instantiate --eval --strict --json` prints for it. Each of
/// `opaque_names` is bound to an opaque value of that name (`lib` then stands for nixpkgs' `lib`,
/// whose functions the reader knows). Used by the differential tests of builtins and `lib`.
/// It runs on a thread with the stack the binary gives its pipeline (see `cli::main`), so that
/// tests see the depths the tool reaches.
pub fn eval_expression_json(
    root: &std::path::Path,
    source: &str,
    opaque_names: &[&str],
) -> Result<serde_json::Value, Diagnostic> {
    let root = root.to_path_buf();
    let source = source.to_string();
    let names: Vec<String> = opaque_names.iter().map(|n| n.to_string()).collect();
    std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            eval_expression_json_here(&root, &source, &names)
        })
        .map_err(|e| Diagnostic::new(Kind::Io, format!("cannot start a thread: {e}")))?
        .join()
        .unwrap_or_else(|_| Err(Diagnostic::new(Kind::EvalError, "the evaluator panicked")))
}

fn eval_expression_json_here(
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
