//! Values of the evaluator: lazily evaluated thunks, the scopes they close over, and the values
//! they become. A value remembers the span of the expression that made it, so every diagnostic
//! about a value points at the code that produced it. An *opaque* value stands for something the
//! reader cannot know (a flake input, a module argument); it stays opaque until forced where data
//! is needed.

use super::Evaluator;
use super::builtins::Builtin;
use crate::diagnostics::{Diagnostic, FileId, Span};
use crate::read::data::OverrideStyle;
use rnix::ast;
use rowan::ast::AstNode;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::rc::Rc;

/// An evaluated value with the span of the expression that produced it.
#[derive(Clone)]
pub struct Val {
    pub v: V,
    pub span: Span,
}

#[derive(Clone)]
pub enum V {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    Path(Rc<Path>),
    List(Rc<[Thunk]>),
    Attrs(Rc<AttrMap>),
    Lambda(Rc<Closure>),
    Builtin(Builtin, Rc<[Thunk]>),
    Override {
        priority: i64,
        style: OverrideStyle,
        content: Thunk,
    },
    Opaque(Rc<Opaque>),
}

pub type AttrMap = BTreeMap<Rc<str>, Binding>;

#[derive(Clone)]
pub struct Binding {
    pub thunk: Thunk,
    pub key_span: Span,
}

pub struct Closure {
    pub(crate) lambda: ast::Lambda,
    pub(crate) env: Env,
    pub(crate) file: FileId,
}

/// A value the reader cannot know: a flake input, a module argument, or what an unknown
/// function returns. `path` is how it was reached (`inputs`, `flake-parts`, `lib`, `mkFlake`).
pub struct Opaque {
    pub path: Vec<Rc<str>>,
    pub args: Vec<Thunk>,
    /// For the string Nix makes by copying a path of the flake to the store (`"${./dir}/x"`,
    /// `"${self}/x"`): the path in the flake it names. Its text (the store path) is unknown, but
    /// reading it reads this path.
    pub store_copy: Option<Rc<Path>>,
    /// Computed from the unknown value at `path` (`"${x}/bin"`, `x + 1`, `if x then …`) rather
    /// than that value itself: described by it, but never carried as its code.
    pub derived: bool,
}

impl Opaque {
    pub fn describe(&self) -> String {
        let mut s = self.path.join(".");
        for _ in &self.args {
            s.push_str(" …");
        }
        s
    }

    pub fn last(&self) -> Option<&str> {
        self.path.last().map(|s| &**s)
    }
}

/// A recorded application of an opaque function, e.g. `flake-parts.lib.mkFlake a b`.
pub struct Call {
    pub function: Vec<Rc<str>>,
    pub args: Vec<Thunk>,
    pub span: Span,
}

pub type Env = Rc<Scope>;

pub enum Scope {
    Root,
    Vars {
        vars: RefCell<HashMap<Rc<str>, Thunk>>,
        parent: Env,
    },
    With {
        namespace: Thunk,
        parent: Env,
    },
}

impl Scope {
    pub(crate) fn parent(&self) -> Option<&Env> {
        match self {
            Scope::Root => None,
            Scope::Vars { parent, .. } | Scope::With { parent, .. } => Some(parent),
        }
    }
}

pub(crate) type Deferred = Box<dyn FnOnce(&mut Evaluator) -> Result<Val, Diagnostic>>;

pub(crate) enum ThunkState {
    Code {
        expr: ast::Expr,
        env: Env,
        file: FileId,
    },
    Deferred(Deferred, Span),
    Forcing(Span),
    Done(Result<Val, Diagnostic>),
}

/// A lazily evaluated value, memoised once forced.
#[derive(Clone)]
pub struct Thunk(pub(crate) Rc<RefCell<ThunkState>>);

impl Thunk {
    pub fn ready(val: Val) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Done(Ok(val)))))
    }

    pub(crate) fn code(expr: ast::Expr, env: Env, file: FileId) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Code { expr, env, file })))
    }

    pub(crate) fn deferred(span: Span, f: Deferred) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Deferred(f, span))))
    }

    /// The span of the code behind this thunk (`None` once it has failed).
    pub fn span(&self) -> Option<Span> {
        match &*self.0.borrow() {
            ThunkState::Done(Ok(v)) => Some(v.span),
            ThunkState::Deferred(_, span) | ThunkState::Forcing(span) => Some(*span),
            ThunkState::Code { expr, file, .. } => {
                Some(Span::new(*file, expr.syntax().text_range()))
            }
            ThunkState::Done(Err(_)) => None,
        }
    }
}

pub(crate) fn opaque(path: Vec<Rc<str>>, args: Vec<Thunk>) -> V {
    V::Opaque(Rc::new(Opaque {
        path,
        args,
        store_copy: None,
        derived: false,
    }))
}

/// The string of `path`'s copy in the store (see `Opaque::store_copy`), described as `shown`.
pub(crate) fn store_copy(path: Rc<Path>, shown: &str) -> V {
    V::Opaque(Rc::new(Opaque {
        path: vec![shown.into()],
        args: vec![],
        store_copy: Some(path),
        derived: false,
    }))
}

/// The file a value names for reading (`import`, `readFile`, `readDir`, `pathExists`): a path,
/// or the string of a path's copy in the store, which holds the same files.
pub fn readable_path(v: &Val) -> Option<Rc<Path>> {
    match &v.v {
        V::Path(p) => Some(p.clone()),
        V::Opaque(o) => o.store_copy.clone(),
        _ => None,
    }
}

/// The value the reader gives a module function's arguments (`{ lib, config, ... }`).
pub fn opaque_val(name: &str, span: Span) -> Val {
    Val {
        v: opaque(vec![name.into()], vec![]),
        span,
    }
}

pub(crate) fn as_float(v: &V) -> f64 {
    match v {
        V::Int(i) => *i as f64,
        V::Float(f) => *f,
        _ => f64::NAN,
    }
}
pub fn type_name(v: &Val) -> &'static str {
    match &v.v {
        V::Null => "null",
        V::Bool(_) => "a boolean",
        V::Int(_) => "an integer",
        V::Float(_) => "a float",
        V::Str(_) => "a string",
        V::Path(_) => "a path",
        V::List(_) => "a list",
        V::Attrs(_) => "an attribute set",
        V::Lambda(_) | V::Builtin(..) => "a function",
        V::Override { .. } => "a priority wrapper",
        V::Opaque(_) => "an unknown value",
    }
}
pub(crate) fn ident_name(ident: &ast::Ident) -> Rc<str> {
    ident.syntax().text().to_string().into()
}
