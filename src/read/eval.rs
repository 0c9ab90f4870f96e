//! A small lazy evaluator for the static subset of Nix that inventories are written in.
//!
//! It follows Nix's semantics for what it supports (laziness, `let`/`rec` scoping, `inherit`,
//! dotted and dynamic attribute names, string escapes and indentation, `//`, `import`,
//! `builtins.fromJSON`/`readFile`, `lib.mkForce`/`mkDefault`/`mkOverride`). Everything it cannot
//! know — flake inputs, module arguments such as `config`, calls of unknown functions — becomes
//! an *opaque* value that remembers where it was made; forcing one where data is needed is a
//! `not-static` error at that span, never a guess. Files are only read below the flake root.
//! Calls of opaque functions are recorded so the discovery step can find `mkFlake { … }` and
//! `lib.clan { … }`.

use super::data::{Data, DataKind, Entry, OverrideStyle};
use super::json;
use super::strings::{self, Piece};
use crate::diagnostics::{Diagnostic, FileId, Kind, SourceMap, Span};
use rnix::ast::{self, AstToken, HasEntry};
use rowan::ast::AstNode;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

/// Deeper nesting than this is reported instead of risking the stack.
const MAX_DEPTH: usize = 400;

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
    lambda: ast::Lambda,
    env: Env,
    file: FileId,
}

/// A value the reader cannot know: a flake input, a module argument, or what an unknown
/// function returns. `path` is how it was reached (`inputs`, `flake-parts`, `lib`, `mkFlake`).
pub struct Opaque {
    pub path: Vec<Rc<str>>,
    pub args: Vec<Thunk>,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Import,
    FromJson,
    ReadFile,
    MkOverride,
    MkForce,
    MkDefault,
    Throw,
}

impl Builtin {
    fn arity(self) -> usize {
        match self {
            Builtin::MkOverride => 2,
            _ => 1,
        }
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
    fn parent(&self) -> Option<&Env> {
        match self {
            Scope::Root => None,
            Scope::Vars { parent, .. } | Scope::With { parent, .. } => Some(parent),
        }
    }
}

type Deferred = Box<dyn FnOnce(&mut Evaluator) -> Result<Val, Diagnostic>>;

enum ThunkState {
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
pub struct Thunk(Rc<RefCell<ThunkState>>);

impl Thunk {
    pub fn ready(val: Val) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Done(Ok(val)))))
    }

    fn code(expr: ast::Expr, env: Env, file: FileId) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Code { expr, env, file })))
    }

    fn deferred(span: Span, f: Deferred) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Deferred(f, span))))
    }

    /// The span of the code behind this thunk, if it is still unevaluated code or evaluated.
    pub fn span(&self) -> Option<Span> {
        match &*self.0.borrow() {
            ThunkState::Done(Ok(v)) => Some(v.span),
            ThunkState::Deferred(_, span) | ThunkState::Forcing(span) => Some(*span),
            _ => None,
        }
    }
}

struct LoadedFile {
    id: FileId,
    root: Result<ast::Expr, Diagnostic>,
}

pub struct Evaluator {
    pub sources: SourceMap,
    /// Canonical flake root: nothing outside it is read.
    pub root: PathBuf,
    files: HashMap<PathBuf, LoadedFile>,
    imports: HashMap<PathBuf, Thunk>,
    pub calls: Vec<Call>,
    depth: usize,
    /// Texts that replace files on disk (absolute path → text): `migrate` reads its rewrite
    /// back this way before writing anything.
    pub overlay: HashMap<PathBuf, String>,
}

fn err(kind: Kind, span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::at(kind, span, message)
}

fn not_static(span: Span, what: &str) -> Diagnostic {
    err(
        Kind::NotStatic,
        span,
        format!("{what} cannot be known without evaluating Nix"),
    )
    .with_label("needed here")
    .with_hint(
        "the inventory must be static data: literals, let, inherit, `//`, imports of files in the flake, and lib.mkForce/mkDefault/mkOverride",
    )
}

/// Lexically normalises `path` (removes `.` and resolves `..`), without touching the disk.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
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
        }
    }

    /// Display name of a path: relative to the flake root.
    pub fn display_name(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| path.display().to_string())
    }

    /// Checks that `path` (absolute, normalised) stays in the flake, symlinks included.
    pub fn check_inside(&self, path: &Path, span: Option<Span>) -> Result<(), Diagnostic> {
        let outside = |what: String| {
            let d = Diagnostic::new(Kind::BadImport, what).with_hint(
                "the inventory may only read files inside the flake; copy the file into the flake",
            );
            match span {
                Some(s) => d.with_span(s),
                None => d,
            }
        };
        if !path.starts_with(&self.root) {
            // Shown relative to the flake, as it was most likely written.
            let common = path
                .components()
                .zip(self.root.components())
                .take_while(|(a, b)| a == b)
                .count();
            let mut shown = PathBuf::new();
            for _ in common..self.root.components().count() {
                shown.push("..");
            }
            shown.extend(path.components().skip(common));
            return Err(outside(format!(
                "`{}` is outside the flake",
                shown.display()
            )));
        }
        if let Ok(real) = path.canonicalize()
            && !real.starts_with(&self.root)
        {
            return Err(outside(format!(
                "`{}` leads outside the flake (through a symbolic link, to `{}`)",
                self.display_name(path),
                real.display()
            )));
        }
        Ok(())
    }

    /// Reads a file in the flake as text, registering it for diagnostics.
    pub fn read_text(&mut self, path: &Path, span: Option<Span>) -> Result<FileId, Diagnostic> {
        if let Some(id) = self.sources.find(path) {
            return Ok(id);
        }
        self.check_inside(path, span)?;
        let display = self.display_name(path);
        if let Some(text) = self.overlay.get(path) {
            let text = text.clone();
            return Ok(self.sources.add(display, path.to_path_buf(), text));
        }
        match read_bounded(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) if !text.contains('\0') => {
                    Ok(self.sources.add(display, path.to_path_buf(), text))
                }
                result => {
                    let what = if result.is_ok() {
                        "contains a NUL byte"
                    } else {
                        "is not UTF-8"
                    };
                    let d = Diagnostic::new(
                        Kind::Syntax,
                        format!("`{display}` {what}: it is binary, not text"),
                    )
                    .with_hint("Nix and JSON files must be UTF-8 text without NUL bytes");
                    Err(match span {
                        Some(s) => d.with_span(s).with_label("read here"),
                        None => d,
                    })
                }
            },
            Err((reason, hint)) => {
                let d = Diagnostic::new(
                    Kind::MissingFile,
                    format!("cannot read `{display}`: {reason}"),
                );
                Err(match span {
                    Some(s) => d.with_span(s).with_label("imported here").with_hint(hint),
                    None => d.with_hint(hint),
                })
            }
        }
    }

    /// Parses a Nix file (once) and returns its root expression.
    pub fn parse_file(
        &mut self,
        path: &Path,
        span: Option<Span>,
    ) -> Result<(FileId, ast::Expr), Diagnostic> {
        if let Some(f) = self.files.get(path) {
            return f.root.clone().map(|e| (f.id, e));
        }
        let id = self.read_text(path, span)?;
        let parse = rnix::Root::parse(self.sources.text(id));
        let root = match parse.errors().first() {
            Some(_) if self.sources.text(id).starts_with('\u{feff}') => Err(Diagnostic::at(
                Kind::Syntax,
                Span {
                    file: id,
                    start: 0,
                    end: 3,
                },
                "the file starts with a byte order mark (U+FEFF), which Nix does not accept",
            )
            .with_hint("save the file as UTF-8 without a byte order mark")),
            Some(e) => Err(syntax_error(id, e)),
            None => parse.tree().expr().ok_or_else(|| {
                Diagnostic::at(
                    Kind::Syntax,
                    Span {
                        file: id,
                        start: 0,
                        end: 0,
                    },
                    "the file holds no expression",
                )
            }),
        };
        self.files.insert(
            path.to_path_buf(),
            LoadedFile {
                id,
                root: root.clone(),
            },
        );
        root.map(|e| (id, e))
    }

    /// `import path`: the file's value, evaluated once.
    pub fn import(&mut self, path: &Path, span: Option<Span>) -> Result<Thunk, Diagnostic> {
        let mut path = path.to_path_buf();
        if path.is_dir() {
            path.push("default.nix");
        }
        if let Some(t) = self.imports.get(&path) {
            return Ok(t.clone());
        }
        let (file, expr) = self.parse_file(&path, span)?;
        let thunk = Thunk::code(expr, Rc::new(Scope::Root), file);
        self.imports.insert(path, thunk.clone());
        Ok(thunk)
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

    fn eval(&mut self, expr: &ast::Expr, env: &Env, file: FileId) -> Result<Val, Diagnostic> {
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
        self.depth -= 1;
        result
    }

    fn eval_inner(
        &mut self,
        expr: &ast::Expr,
        env: &Env,
        file: FileId,
        span: Span,
    ) -> Result<Val, Diagnostic> {
        let val = |v: V| Ok(Val { v, span });
        match expr {
            ast::Expr::Literal(lit) => match lit.kind() {
                ast::LiteralKind::Integer(i) => match i.value() {
                    Ok(n) => val(V::Int(n)),
                    Err(_) => Err(err(
                        Kind::EvalError,
                        span,
                        format!("integer `{}` does not fit in 64 bits", i.syntax().text()),
                    )),
                },
                ast::LiteralKind::Float(f) => match f.value() {
                    // Nix rejects literals that overflow to infinity.
                    Ok(x) if x.is_finite() => val(V::Float(x)),
                    _ => Err(err(Kind::Syntax, span, "invalid float literal")),
                },
                ast::LiteralKind::Uri(u) => val(V::Str(u.syntax().text().into())),
            },
            ast::Expr::Str(s) => self.eval_string(s, env, file, span),
            ast::Expr::PathRel(_) | ast::Expr::PathAbs(_) => {
                self.eval_path(expr.syntax(), env, file, span)
            }
            ast::Expr::PathHome(_) | ast::Expr::PathSearch(_) => Err(not_static(
                span,
                &format!("the path `{}`", expr.syntax().text()),
            )),
            ast::Expr::List(list) => {
                let items: Vec<Thunk> = list
                    .items()
                    .map(|item| Thunk::code(item, env.clone(), file))
                    .collect();
                val(V::List(items.into()))
            }
            ast::Expr::AttrSet(set) => {
                let rec = set.rec_token().is_some();
                self.eval_attrset(set, env, file, span, rec)
            }
            ast::Expr::LetIn(let_in) => {
                let scope = self.bind_recursive(let_in, env, file)?;
                let body = let_in
                    .body()
                    .ok_or_else(|| err(Kind::Syntax, span, "`let` without a body"))?;
                self.eval(&body, &scope, file)
            }
            ast::Expr::Ident(ident) => {
                let name = ident_name(ident);
                self.lookup(&name, env, span)
            }
            ast::Expr::Select(select) => self.eval_select(select, env, file, span),
            ast::Expr::HasAttr(has) => {
                let base = has
                    .expr()
                    .ok_or_else(|| err(Kind::Syntax, span, "incomplete `?`"))?;
                let mut current = self.eval(&base, env, file)?;
                let attrpath = has
                    .attrpath()
                    .ok_or_else(|| err(Kind::Syntax, span, "incomplete `?`"))?;
                for attr in attrpath.attrs() {
                    let Some(name) = self.attr_name(&attr, env, file)? else {
                        return val(V::Bool(false));
                    };
                    match &current.v {
                        V::Attrs(map) => match map.get(&*name) {
                            Some(b) => current = self.force(&b.thunk.clone())?,
                            None => return val(V::Bool(false)),
                        },
                        V::Opaque(_) => return Ok(self.opaque_select(&current, &name, span)),
                        _ => return val(V::Bool(false)),
                    }
                }
                val(V::Bool(true))
            }
            ast::Expr::Apply(apply) => {
                let (Some(function), Some(argument)) = (apply.lambda(), apply.argument()) else {
                    return Err(err(Kind::Syntax, span, "incomplete function call"));
                };
                let f = self.eval(&function, env, file)?;
                let arg = Thunk::code(argument, env.clone(), file);
                self.apply(f, arg, span)
            }
            ast::Expr::Lambda(lambda) => val(V::Lambda(Rc::new(Closure {
                lambda: lambda.clone(),
                env: env.clone(),
                file,
            }))),
            ast::Expr::Paren(paren) => {
                let inner = paren
                    .expr()
                    .ok_or_else(|| err(Kind::Syntax, span, "empty parentheses"))?;
                self.eval(&inner, env, file)
            }
            ast::Expr::BinOp(op) => self.eval_binop(op, env, file, span),
            ast::Expr::UnaryOp(op) => {
                let inner = op
                    .expr()
                    .ok_or_else(|| err(Kind::Syntax, span, "incomplete operator"))?;
                let v = self.eval(&inner, env, file)?;
                match (op.operator(), &v.v) {
                    (_, V::Opaque(_)) => Ok(self.opaque_at(&v, span)),
                    (Some(ast::UnaryOpKind::Negate), V::Int(i)) => {
                        val(V::Int(i.checked_neg().ok_or_else(|| {
                            err(Kind::EvalError, span, "integer overflow")
                        })?))
                    }
                    (Some(ast::UnaryOpKind::Negate), V::Float(f)) => val(V::Float(-f)),
                    (Some(ast::UnaryOpKind::Invert), V::Bool(b)) => val(V::Bool(!b)),
                    _ => Err(type_error(span, "a number or boolean", &v)),
                }
            }
            ast::Expr::IfElse(if_else) => {
                let cond = if_else
                    .condition()
                    .ok_or_else(|| err(Kind::Syntax, span, "incomplete `if`"))?;
                let c = self.eval(&cond, env, file)?;
                let branch = match c.v {
                    V::Bool(true) => if_else.body(),
                    V::Bool(false) => if_else.else_body(),
                    V::Opaque(_) => return Ok(self.opaque_at(&c, span)),
                    _ => return Err(type_error(c.span, "a boolean", &c)),
                };
                let branch = branch.ok_or_else(|| err(Kind::Syntax, span, "incomplete `if`"))?;
                self.eval(&branch, env, file)
            }
            ast::Expr::With(with) => {
                let (Some(namespace), Some(body)) = (with.namespace(), with.body()) else {
                    return Err(err(Kind::Syntax, span, "incomplete `with`"));
                };
                let scope = Rc::new(Scope::With {
                    namespace: Thunk::code(namespace, env.clone(), file),
                    parent: env.clone(),
                });
                self.eval(&body, &scope, file)
            }
            ast::Expr::Assert(assert) => {
                let body = assert
                    .body()
                    .ok_or_else(|| err(Kind::Syntax, span, "incomplete `assert`"))?;
                if let Some(cond) = assert.condition() {
                    let c = self.eval(&cond, env, file)?;
                    if let V::Bool(false) = c.v {
                        return Err(err(Kind::EvalError, c.span, "assertion failed"));
                    }
                }
                self.eval(&body, env, file)
            }
            _ => Err(not_static(span, "this expression")),
        }
    }

    fn eval_string(
        &mut self,
        s: &ast::Str,
        env: &Env,
        file: FileId,
        span: Span,
    ) -> Result<Val, Diagnostic> {
        let multiline = s
            .syntax()
            .first_token()
            .map(|t| t.text() == "''")
            .unwrap_or(false);
        let mut raw: Vec<Option<String>> = Vec::new();
        let mut interpolations = Vec::new();
        for part in s.parts() {
            match part {
                ast::InterpolPart::Literal(text) => raw.push(Some(text.syntax().text().into())),
                ast::InterpolPart::Interpolation(i) => {
                    raw.push(None);
                    interpolations.push(i);
                }
            }
        }
        let pieces = if multiline {
            let refs: Vec<Option<&str>> = raw.iter().map(|p| p.as_deref()).collect();
            strings::strip_indentation(&refs)
        } else {
            let mut n = 0;
            raw.iter()
                .map(|p| match p {
                    Some(text) => Piece::Text(strings::unescape_plain(text)),
                    None => {
                        n += 1;
                        Piece::Interpolation(n - 1)
                    }
                })
                .collect()
        };
        let mut out = String::new();
        for piece in pieces {
            match piece {
                Piece::Text(t) => out.push_str(&t),
                Piece::Interpolation(i) => {
                    let inner = interpolations[i]
                        .expr()
                        .ok_or_else(|| err(Kind::Syntax, span, "empty interpolation"))?;
                    let v = self.eval(&inner, env, file)?;
                    match &v.v {
                        V::Str(s) => out.push_str(s),
                        V::Opaque(_) => return Ok(self.opaque_at(&v, span)),
                        V::Path(_) => {
                            return Err(not_static(
                                v.span,
                                "a path inside a string (Nix copies it to the store)",
                            ));
                        }
                        _ => {
                            return Err(err(
                                Kind::EvalError,
                                v.span,
                                format!("cannot put {} into a string", type_name(&v)),
                            )
                            .with_hint("only strings can be interpolated"));
                        }
                    }
                }
            }
        }
        Ok(Val {
            v: V::Str(out.into()),
            span,
        })
    }

    fn eval_path(
        &mut self,
        node: &rnix::SyntaxNode,
        env: &Env,
        file: FileId,
        span: Span,
    ) -> Result<Val, Diagnostic> {
        let mut text = String::new();
        for child in node.children_with_tokens() {
            match child {
                rowan::NodeOrToken::Token(t) => text.push_str(t.text()),
                rowan::NodeOrToken::Node(n) => {
                    let inner = ast::Interpol::cast(n)
                        .and_then(|i| i.expr())
                        .ok_or_else(|| err(Kind::Syntax, span, "bad path interpolation"))?;
                    let v = self.eval(&inner, env, file)?;
                    match &v.v {
                        V::Str(s) => text.push_str(s),
                        V::Opaque(_) => return Ok(self.opaque_at(&v, span)),
                        _ => return Err(type_error(v.span, "a string", &v)),
                    }
                }
            }
        }
        if text.starts_with('/') {
            return Err(err(
                Kind::BadImport,
                span,
                format!("the absolute path `{text}` is outside the flake"),
            )
            .with_hint("use a path relative to this file, inside the flake"));
        }
        let base = self
            .sources
            .path(file)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let full = normalize(&base.join(&text));
        Ok(Val {
            v: V::Path(full.into()),
            span,
        })
    }

    /// The name of an attribute in an attrpath; `None` for a dynamic name that is `null`.
    fn attr_name(
        &mut self,
        attr: &ast::Attr,
        env: &Env,
        file: FileId,
    ) -> Result<Option<Rc<str>>, Diagnostic> {
        let span = Span::new(file, attr.syntax().text_range());
        let v = match attr {
            ast::Attr::Ident(ident) => return Ok(Some(ident_name(ident))),
            ast::Attr::Str(s) => self.eval_string(s, env, file, span)?,
            ast::Attr::Dynamic(d) => {
                let inner = d
                    .expr()
                    .ok_or_else(|| err(Kind::Syntax, span, "empty `${}`"))?;
                self.eval(&inner, env, file)?
            }
        };
        match v.v {
            V::Str(s) => Ok(Some(s)),
            V::Null => Ok(None),
            V::Opaque(_) => Err(not_static(span, "this attribute name")),
            _ => Err(type_error(span, "a string", &v)),
        }
    }

    fn lookup(&mut self, name: &str, env: &Env, span: Span) -> Result<Val, Diagnostic> {
        let mut scope = Some(env);
        while let Some(s) = scope {
            if let Scope::Vars { vars, .. } = &**s {
                let found = vars.borrow().get(name).cloned();
                if let Some(t) = found {
                    let v = self.force(&t)?;
                    return Ok(v);
                }
            }
            scope = s.parent();
        }
        let mut scope = Some(env);
        while let Some(s) = scope {
            if let Scope::With { namespace, .. } = &**s {
                let ns = self.force(&namespace.clone())?;
                match &ns.v {
                    V::Attrs(map) => {
                        if let Some(b) = map.get(name) {
                            return self.force(&b.thunk.clone());
                        }
                    }
                    V::Opaque(_) => return Ok(self.opaque_select(&ns, name, span)),
                    _ => {}
                }
            }
            scope = s.parent();
        }
        let v = match name {
            "true" => V::Bool(true),
            "false" => V::Bool(false),
            "null" => V::Null,
            "import" => V::Builtin(Builtin::Import, Rc::from(vec![])),
            "throw" | "abort" => V::Builtin(Builtin::Throw, Rc::from(vec![])),
            "builtins" => opaque(vec!["builtins".into()], vec![]),
            // Nix's other global builtins exist, but what they return is not static.
            "derivation" | "fetchTarball" | "map" | "toString" | "removeAttrs" | "baseNameOf"
            | "dirOf" | "isNull" | "placeholder" => opaque(vec![name.into()], vec![]),
            _ if name.starts_with("__") => opaque(vec![name.into()], vec![]),
            _ => {
                return Err(err(
                    Kind::EvalError,
                    span,
                    format!("undefined variable `{name}`"),
                ));
            }
        };
        Ok(Val { v, span })
    }

    fn opaque_at(&self, from: &Val, span: Span) -> Val {
        match &from.v {
            V::Opaque(o) => Val {
                v: V::Opaque(o.clone()),
                span,
            },
            _ => Val {
                v: opaque(vec!["<unknown>".into()], vec![]),
                span,
            },
        }
    }

    /// Selecting from an opaque value: `lib.mkForce` and `builtins.fromJSON` are known;
    /// everything else stays opaque.
    fn opaque_select(&self, base: &Val, name: &str, span: Span) -> Val {
        let V::Opaque(o) = &base.v else {
            return self.opaque_at(base, span);
        };
        if o.args.is_empty() {
            let parent = o.last();
            let builtin = match (parent, name) {
                (Some("lib"), "mkForce") => Some(Builtin::MkForce),
                (Some("lib"), "mkDefault") => Some(Builtin::MkDefault),
                (Some("lib"), "mkOverride") => Some(Builtin::MkOverride),
                (Some("builtins"), "fromJSON") => Some(Builtin::FromJson),
                (Some("builtins"), "readFile") => Some(Builtin::ReadFile),
                (Some("builtins"), "import") => Some(Builtin::Import),
                (Some("builtins"), "throw" | "abort") => Some(Builtin::Throw),
                _ => None,
            };
            if let Some(b) = builtin {
                return Val {
                    v: V::Builtin(b, Rc::from(vec![])),
                    span,
                };
            }
            if parent == Some("builtins") {
                match name {
                    "true" => {
                        return Val {
                            v: V::Bool(true),
                            span,
                        };
                    }
                    "false" => {
                        return Val {
                            v: V::Bool(false),
                            span,
                        };
                    }
                    "null" => return Val { v: V::Null, span },
                    _ => {}
                }
            }
        }
        let mut path = o.path.clone();
        if !o.args.is_empty() && !path.is_empty() {
            path.push("(…)".into());
        }
        path.push(name.into());
        Val {
            v: opaque(path, vec![]),
            span,
        }
    }

    fn eval_select(
        &mut self,
        select: &ast::Select,
        env: &Env,
        file: FileId,
        span: Span,
    ) -> Result<Val, Diagnostic> {
        let base = select
            .expr()
            .ok_or_else(|| err(Kind::Syntax, span, "incomplete selection"))?;
        let attrpath = select
            .attrpath()
            .ok_or_else(|| err(Kind::Syntax, span, "incomplete selection"))?;
        let mut current = self.eval(&base, env, file)?;
        for attr in attrpath.attrs() {
            let attr_span = Span::new(file, attr.syntax().text_range());
            let name = self
                .attr_name(&attr, env, file)?
                .ok_or_else(|| err(Kind::EvalError, attr_span, "attribute name is null"))?;
            match &current.v {
                V::Attrs(map) => match map.get(&*name) {
                    Some(b) => current = self.force(&b.thunk.clone())?,
                    None => {
                        if let Some(default) = select.default_expr() {
                            return self.eval(&default, env, file);
                        }
                        let mut d = err(
                            Kind::EvalError,
                            attr_span,
                            format!("attribute `{name}` is missing"),
                        );
                        let names: Vec<&str> = map.keys().map(|k| &**k).collect();
                        if let Some(s) = crate::diagnostics::suggest(&name, names.iter().copied()) {
                            d = d.with_hint(format!("did you mean `{s}`?"));
                        }
                        return Err(d);
                    }
                },
                V::Opaque(_) => {
                    current = self.opaque_select(&current, &name, span);
                }
                _ => {
                    if let Some(default) = select.default_expr() {
                        return self.eval(&default, env, file);
                    }
                    return Err(type_error(current.span, "an attribute set", &current));
                }
            }
        }
        current.span = span;
        Ok(current)
    }

    pub fn apply(&mut self, f: Val, arg: Thunk, span: Span) -> Result<Val, Diagnostic> {
        match f.v {
            V::Lambda(closure) => self.call_lambda(&closure, arg, span),
            V::Builtin(b, args) => {
                let mut args = args.to_vec();
                args.push(arg);
                if args.len() < b.arity() {
                    return Ok(Val {
                        v: V::Builtin(b, args.into()),
                        span,
                    });
                }
                self.run_builtin(b, &args, span)
            }
            V::Opaque(o) => {
                let mut args = o.args.clone();
                args.push(arg);
                self.calls.push(Call {
                    function: o.path.clone(),
                    args: args.clone(),
                    span,
                });
                Ok(Val {
                    v: opaque(o.path.clone(), args),
                    span,
                })
            }
            _ => Err(err(
                Kind::EvalError,
                f.span,
                format!("{} is not a function", type_name(&f)),
            )),
        }
    }

    fn call_lambda(
        &mut self,
        closure: &Closure,
        arg: Thunk,
        span: Span,
    ) -> Result<Val, Diagnostic> {
        let vars = RefCell::new(HashMap::new());
        let scope = Rc::new(Scope::Vars {
            vars,
            parent: closure.env.clone(),
        });
        let Scope::Vars { vars, .. } = &*scope else {
            unreachable!("just built")
        };
        match closure.lambda.param() {
            Some(ast::Param::IdentParam(p)) => {
                if let Some(ident) = p.ident() {
                    vars.borrow_mut().insert(ident_name(&ident), arg);
                }
            }
            Some(ast::Param::Pattern(pattern)) => {
                let given = self.force(&arg)?;
                if let Some(bind) = pattern.pat_bind().and_then(|b| b.ident()) {
                    vars.borrow_mut().insert(ident_name(&bind), arg.clone());
                }
                for entry in pattern.pat_entries() {
                    let Some(ident) = entry.ident() else { continue };
                    let name = ident_name(&ident);
                    let entry_span = Span::new(closure.file, entry.syntax().text_range());
                    let value = match &given.v {
                        V::Attrs(map) => map.get(&name).map(|b| b.thunk.clone()),
                        V::Opaque(_) => {
                            Some(Thunk::ready(self.opaque_select(&given, &name, entry_span)))
                        }
                        _ => return Err(type_error(given.span, "an attribute set", &given)),
                    };
                    let value = match (value, entry.default()) {
                        (Some(v), _) => v,
                        (None, Some(default)) => Thunk::code(default, scope.clone(), closure.file),
                        (None, None) => {
                            return Err(err(
                                Kind::EvalError,
                                span,
                                format!("the function is called without its argument `{name}`"),
                            )
                            .with_note(entry_span, "argument declared here"));
                        }
                    };
                    vars.borrow_mut().insert(name, value);
                }
            }
            None => return Err(err(Kind::Syntax, span, "function without a parameter")),
        }
        let body = closure
            .lambda
            .body()
            .ok_or_else(|| err(Kind::Syntax, span, "function without a body"))?;
        self.eval(&body, &scope, closure.file)
    }

    fn run_builtin(&mut self, b: Builtin, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
        match b {
            Builtin::Import => {
                let target = self.force(&args[0])?;
                match &target.v {
                    V::Path(p) => {
                        let p = p.to_path_buf();
                        let thunk = self.import(&p, Some(target.span))?;
                        self.force(&thunk)
                    }
                    V::Opaque(_) => Ok(self.opaque_at(&target, span)),
                    _ => Err(type_error(target.span, "a path", &target)),
                }
            }
            Builtin::ReadFile => {
                let target = self.force(&args[0])?;
                match &target.v {
                    V::Path(p) => {
                        let p = p.to_path_buf();
                        let id = self.read_text(&p, Some(target.span))?;
                        Ok(Val {
                            v: V::Str(self.sources.text(id).into()),
                            span: Span {
                                file: id,
                                start: 0,
                                end: self.sources.text(id).len() as u32,
                            },
                        })
                    }
                    V::Opaque(_) => Ok(self.opaque_at(&target, span)),
                    _ => Err(type_error(target.span, "a path", &target)),
                }
            }
            Builtin::FromJson => {
                let text = self.force(&args[0])?;
                match &text.v {
                    V::Str(s) => {
                        // A string read straight from a file keeps that file's positions.
                        let file = text.span.file;
                        let whole_file = text.span.start == 0
                            && text.span.end as usize == self.sources.text(file).len()
                            && &**s == self.sources.text(file);
                        let data = if whole_file {
                            json::parse(self.sources.text(file), file)
                        } else {
                            json::parse_at(s, text.span)
                        }?;
                        Ok(data_to_val(data))
                    }
                    V::Opaque(_) => Ok(self.opaque_at(&text, span)),
                    _ => Err(type_error(text.span, "a string", &text)),
                }
            }
            Builtin::MkForce | Builtin::MkDefault => {
                let (priority, style) = if b == Builtin::MkForce {
                    (50, OverrideStyle::Force)
                } else {
                    (1000, OverrideStyle::Default)
                };
                Ok(Val {
                    v: V::Override {
                        priority,
                        style,
                        content: args[0].clone(),
                    },
                    span,
                })
            }
            Builtin::MkOverride => {
                let p = self.force(&args[0])?;
                let V::Int(priority) = p.v else {
                    return Err(type_error(p.span, "an integer priority", &p));
                };
                Ok(Val {
                    v: V::Override {
                        priority,
                        style: OverrideStyle::Override,
                        content: args[1].clone(),
                    },
                    span,
                })
            }
            Builtin::Throw => {
                let message = self.force(&args[0])?;
                let text = match &message.v {
                    V::Str(s) => s.to_string(),
                    _ => "(no message)".into(),
                };
                Err(err(
                    Kind::EvalError,
                    span,
                    format!("the inventory throws: {text}"),
                ))
            }
        }
    }

    fn eval_binop(
        &mut self,
        op: &ast::BinOp,
        env: &Env,
        file: FileId,
        span: Span,
    ) -> Result<Val, Diagnostic> {
        use ast::BinOpKind as K;
        let (Some(lhs), Some(rhs), Some(kind)) = (op.lhs(), op.rhs(), op.operator()) else {
            return Err(err(Kind::Syntax, span, "incomplete operator"));
        };
        let val = |v: V| Ok(Val { v, span });
        match kind {
            K::And | K::Or | K::Implication => {
                let l = self.eval(&lhs, env, file)?;
                let lb = match l.v {
                    V::Bool(b) => b,
                    V::Opaque(_) => return Ok(self.opaque_at(&l, span)),
                    _ => return Err(type_error(l.span, "a boolean", &l)),
                };
                let short = match kind {
                    K::And => (!lb).then_some(false),
                    K::Or => lb.then_some(true),
                    _ => (!lb).then_some(true),
                };
                if let Some(b) = short {
                    return val(V::Bool(b));
                }
                let r = self.eval(&rhs, env, file)?;
                match r.v {
                    V::Bool(b) => val(V::Bool(b)),
                    V::Opaque(_) => Ok(self.opaque_at(&r, span)),
                    _ => Err(type_error(r.span, "a boolean", &r)),
                }
            }
            K::PipeRight | K::PipeLeft => {
                let (f, x) = if kind == K::PipeRight {
                    (rhs, lhs)
                } else {
                    (lhs, rhs)
                };
                let f = self.eval(&f, env, file)?;
                self.apply(f, Thunk::code(x, env.clone(), file), span)
            }
            _ => {
                let l = self.eval(&lhs, env, file)?;
                let r = self.eval(&rhs, env, file)?;
                if matches!(l.v, V::Opaque(_)) {
                    return Ok(self.opaque_at(&l, span));
                }
                if matches!(r.v, V::Opaque(_)) {
                    return Ok(self.opaque_at(&r, span));
                }
                match (kind, &l.v, &r.v) {
                    (K::Update, V::Attrs(a), V::Attrs(b)) => {
                        let mut merged = (**a).clone();
                        for (k, v) in b.iter() {
                            merged.insert(k.clone(), v.clone());
                        }
                        val(V::Attrs(Rc::new(merged)))
                    }
                    (K::Concat, V::List(a), V::List(b)) => {
                        let items: Vec<Thunk> = a.iter().chain(b.iter()).cloned().collect();
                        val(V::List(items.into()))
                    }
                    (K::Add, V::Str(a), V::Str(b)) => val(V::Str(format!("{a}{b}").into())),
                    (K::Add, V::Path(a), V::Str(b)) => {
                        let joined = format!("{}{}", a.display(), b);
                        val(V::Path(normalize(Path::new(&joined)).into()))
                    }
                    (K::Equal, _, _) => val(V::Bool(self.equal(&l, &r)?)),
                    (K::NotEqual, _, _) => val(V::Bool(!self.equal(&l, &r)?)),
                    (_, V::Int(a), V::Int(b)) => {
                        let (a, b) = (*a, *b);
                        let overflow = || err(Kind::EvalError, span, "integer overflow");
                        match kind {
                            K::Add => val(V::Int(a.checked_add(b).ok_or_else(overflow)?)),
                            K::Sub => val(V::Int(a.checked_sub(b).ok_or_else(overflow)?)),
                            K::Mul => val(V::Int(a.checked_mul(b).ok_or_else(overflow)?)),
                            K::Div => {
                                if b == 0 {
                                    return Err(err(Kind::EvalError, span, "division by zero"));
                                }
                                val(V::Int(a.checked_div(b).ok_or_else(overflow)?))
                            }
                            K::Less => val(V::Bool(a < b)),
                            K::LessOrEq => val(V::Bool(a <= b)),
                            K::More => val(V::Bool(a > b)),
                            K::MoreOrEq => val(V::Bool(a >= b)),
                            _ => Err(not_static(span, "this operator")),
                        }
                    }
                    (_, V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => {
                        let a = as_float(&l.v);
                        let b = as_float(&r.v);
                        match kind {
                            K::Add => val(V::Float(a + b)),
                            K::Sub => val(V::Float(a - b)),
                            K::Mul => val(V::Float(a * b)),
                            K::Div => {
                                if b == 0.0 {
                                    return Err(err(Kind::EvalError, span, "division by zero"));
                                }
                                val(V::Float(a / b))
                            }
                            K::Less => val(V::Bool(a < b)),
                            K::LessOrEq => val(V::Bool(a <= b)),
                            K::More => val(V::Bool(a > b)),
                            K::MoreOrEq => val(V::Bool(a >= b)),
                            _ => Err(not_static(span, "this operator")),
                        }
                    }
                    (K::Less | K::LessOrEq | K::More | K::MoreOrEq, V::Str(a), V::Str(b)) => {
                        let ord = a.cmp(b);
                        let result = match kind {
                            K::Less => ord.is_lt(),
                            K::LessOrEq => ord.is_le(),
                            K::More => ord.is_gt(),
                            _ => ord.is_ge(),
                        };
                        val(V::Bool(result))
                    }
                    _ => Err(err(
                        Kind::EvalError,
                        span,
                        format!(
                            "cannot apply this operator to {} and {}",
                            type_name(&l),
                            type_name(&r)
                        ),
                    )),
                }
            }
        }
    }

    fn equal(&mut self, a: &Val, b: &Val) -> Result<bool, Diagnostic> {
        Ok(match (&a.v, &b.v) {
            (V::Null, V::Null) => true,
            (V::Bool(x), V::Bool(y)) => x == y,
            (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => match (&a.v, &b.v) {
                (V::Int(x), V::Int(y)) => x == y,
                _ => as_float(&a.v) == as_float(&b.v),
            },
            (V::Str(x), V::Str(y)) => x == y,
            (V::Path(x), V::Path(y)) => x == y,
            (V::List(x), V::List(y)) => {
                if x.len() != y.len() {
                    return Ok(false);
                }
                for (tx, ty) in x.iter().zip(y.iter()) {
                    let vx = self.force(tx)?;
                    let vy = self.force(ty)?;
                    if !self.equal(&vx, &vy)? {
                        return Ok(false);
                    }
                }
                true
            }
            (V::Attrs(x), V::Attrs(y)) => {
                if x.len() != y.len() || !x.keys().eq(y.keys()) {
                    return Ok(false);
                }
                for (bx, by) in x.values().zip(y.values()) {
                    let vx = self.force(&bx.thunk)?;
                    let vy = self.force(&by.thunk)?;
                    if !self.equal(&vx, &vy)? {
                        return Ok(false);
                    }
                }
                true
            }
            _ => false,
        })
    }

    /// Builds the scope of a `let` (recursive: bindings see each other).
    fn bind_recursive(
        &mut self,
        node: &impl HasEntry,
        env: &Env,
        file: FileId,
    ) -> Result<Env, Diagnostic> {
        let scope = Rc::new(Scope::Vars {
            vars: RefCell::new(HashMap::new()),
            parent: env.clone(),
        });
        let tree = self.build_tree(node, &scope, env, file)?;
        let Scope::Vars { vars, .. } = &*scope else {
            unreachable!("just built")
        };
        let mut vars = vars.borrow_mut();
        for (name, node) in tree.entries {
            vars.insert(name, node.into_thunk());
        }
        drop(vars);
        Ok(scope)
    }

    fn eval_attrset(
        &mut self,
        set: &ast::AttrSet,
        env: &Env,
        file: FileId,
        span: Span,
        rec: bool,
    ) -> Result<Val, Diagnostic> {
        let (tree, scope) = if rec {
            let scope = Rc::new(Scope::Vars {
                vars: RefCell::new(HashMap::new()),
                parent: env.clone(),
            });
            let tree = self.build_tree(set, &scope, env, file)?;
            if let Scope::Vars { vars, .. } = &*scope {
                let mut vars = vars.borrow_mut();
                for (name, node) in &tree.entries {
                    if !node.dynamic {
                        vars.insert(name.clone(), node.clone().into_thunk());
                    }
                }
            }
            (tree, Some(scope))
        } else {
            (self.build_tree(set, env, env, file)?, None)
        };
        drop(scope);
        Ok(Val {
            v: V::Attrs(Rc::new(tree.into_map())),
            span,
        })
    }

    /// Collects the bindings of an attrset or `let`, merging dotted paths (`a.b = 1; a.c = 2;`)
    /// and nested literal sets the way Nix does. `inner` is the scope values are evaluated in,
    /// `outer` the one plain `inherit` looks names up in.
    fn build_tree(
        &mut self,
        node: &impl HasEntry,
        inner: &Env,
        outer: &Env,
        file: FileId,
    ) -> Result<Tree, Diagnostic> {
        let mut tree = Tree::default();
        self.add_entries(node, inner, outer, file, &mut tree)?;
        Ok(tree)
    }

    fn add_entries(
        &mut self,
        node: &impl HasEntry,
        inner: &Env,
        outer: &Env,
        file: FileId,
        tree: &mut Tree,
    ) -> Result<(), Diagnostic> {
        for entry in node.entries() {
            match entry {
                ast::Entry::Inherit(inherit) => {
                    let from = inherit
                        .from()
                        .and_then(|f| f.expr())
                        .map(|e| Thunk::code(e, inner.clone(), file));
                    for attr in inherit.attrs() {
                        let key_span = Span::new(file, attr.syntax().text_range());
                        let Some(name) = self.attr_name(&attr, inner, file)? else {
                            continue;
                        };
                        let thunk = match &from {
                            Some(source) => {
                                let source = source.clone();
                                let name = name.clone();
                                Thunk::deferred(
                                    key_span,
                                    Box::new(move |ev: &mut Evaluator| {
                                        let base = ev.force(&source)?;
                                        match &base.v {
                                            V::Attrs(map) => match map.get(&name) {
                                                Some(b) => ev.force(&b.thunk.clone()),
                                                None => Err(err(
                                                    Kind::EvalError,
                                                    key_span,
                                                    format!("attribute `{name}` is missing"),
                                                )),
                                            },
                                            V::Opaque(_) => {
                                                Ok(ev.opaque_select(&base, &name, key_span))
                                            }
                                            _ => Err(type_error(
                                                base.span,
                                                "an attribute set",
                                                &base,
                                            )),
                                        }
                                    }),
                                )
                            }
                            None => {
                                let outer = outer.clone();
                                let name = name.clone();
                                Thunk::deferred(
                                    key_span,
                                    Box::new(move |ev: &mut Evaluator| {
                                        ev.lookup(&name, &outer, key_span)
                                    }),
                                )
                            }
                        };
                        tree.insert_leaf(name, thunk, key_span, key_span)?;
                    }
                }
                ast::Entry::AttrpathValue(apv) => {
                    let entry_span = Span::new(file, apv.syntax().text_range());
                    let (Some(attrpath), Some(value)) = (apv.attrpath(), apv.value()) else {
                        return Err(err(Kind::Syntax, entry_span, "incomplete binding"));
                    };
                    let mut names = Vec::new();
                    let mut dynamic = false;
                    for attr in attrpath.attrs() {
                        let key_span = Span::new(file, attr.syntax().text_range());
                        dynamic |= matches!(attr, ast::Attr::Dynamic(_));
                        match self.attr_name(&attr, inner, file)? {
                            Some(n) => names.push((n, key_span)),
                            None => {
                                names.clear();
                                break;
                            }
                        }
                    }
                    if names.is_empty() {
                        continue;
                    }
                    let value_span = Span::new(file, value.syntax().text_range());
                    let (last, parents) = names.split_last().expect("non-empty");
                    let mut target = &mut *tree;
                    for (name, key_span) in parents {
                        target = target.subtree(name.clone(), *key_span, dynamic)?;
                    }
                    match &value {
                        ast::Expr::AttrSet(set) if set.rec_token().is_none() => {
                            let sub = target.subtree(last.0.clone(), last.1, dynamic)?;
                            sub.span = Some(value_span);
                            self.add_entries(set, inner, outer, file, sub)?;
                        }
                        _ => {
                            let thunk = Thunk::code(value, inner.clone(), file);
                            target.insert_leaf(last.0.clone(), thunk, last.1, value_span)?;
                            if dynamic && let Some(n) = target.entries.get_mut(&last.0) {
                                n.dynamic = true;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Forces a value completely into data. `extraModules` entries may be closed expressions,
    /// which are kept as source text.
    pub fn force_data(&mut self, thunk: &Thunk, verbatim_ok: bool) -> Result<Data, Diagnostic> {
        if self.depth >= MAX_DEPTH {
            let span = thunk.span().unwrap_or(Span {
                file: FileId(0),
                start: 0,
                end: 0,
            });
            return Err(err(Kind::NotStatic, span, "the value is nested too deeply"));
        }
        self.depth += 1;
        let result = self.force_data_inner(thunk, verbatim_ok);
        self.depth -= 1;
        result
    }

    fn force_data_inner(&mut self, thunk: &Thunk, verbatim_ok: bool) -> Result<Data, Diagnostic> {
        let val = self.force(thunk)?;
        let span = val.span;
        let kind = match &val.v {
            V::Null => DataKind::Null,
            V::Bool(b) => DataKind::Bool(*b),
            V::Int(i) => DataKind::Int(*i),
            V::Float(f) if f.is_finite() => DataKind::Float(*f),
            V::Float(_) => {
                return Err(err(
                    Kind::EvalError,
                    span,
                    "this number is infinite or not a number, which no file can hold",
                )
                .with_hint("Nix has no literal for it, and JSON cannot hold it either"));
            }
            V::Str(s) => DataKind::Str(s.to_string()),
            V::Path(p) => DataKind::Path(p.to_path_buf()),
            V::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    out.push(self.force_data(item, verbatim_ok)?);
                }
                DataKind::List(out)
            }
            V::Attrs(map) => {
                if verbatim_ok && let Some(text) = self.closed_source(span) {
                    DataKind::Verbatim(text)
                } else {
                    let mut out = BTreeMap::new();
                    for (key, binding) in map.iter() {
                        let allow = &**key == "extraModules";
                        let value = self.force_data(&binding.thunk, allow)?;
                        out.insert(
                            key.to_string(),
                            Entry {
                                key_span: binding.key_span,
                                value,
                            },
                        );
                    }
                    DataKind::Attrs(out)
                }
            }
            V::Override {
                priority,
                style,
                content,
            } => DataKind::Override {
                priority: *priority,
                style: *style,
                content: Box::new(self.force_data(content, verbatim_ok)?),
            },
            V::Lambda(_) if verbatim_ok => match self.closed_source(span) {
                Some(text) => DataKind::Verbatim(text),
                None => {
                    return Err(err(
                        Kind::NotStatic,
                        span,
                        "this module refers to names or relative paths from its surroundings",
                    )
                    .with_hint(
                        "write it in a file of its own and list the path, or make it closed (no outside variables, no relative paths)",
                    ));
                }
            },
            V::Lambda(_) | V::Builtin(..) => {
                return Err(
                    err(Kind::NotStatic, span, "a function is not inventory data")
                        .with_hint("the inventory holds data; functions belong in modules"),
                );
            }
            V::Opaque(o) => {
                return Err(not_static(span, &format!("`{}`", o.describe())));
            }
        };
        Ok(Data { kind, span })
    }

    /// The source text at `span` if it is a closed expression: no free variables besides
    /// `builtins`/`true`/`false`/`null`, no `with`, no relative or search paths.
    fn closed_source(&self, span: Span) -> Option<String> {
        let text = &self.sources.text(span.file)[span.start as usize..span.end as usize];
        let parse = rnix::Root::parse(text);
        if !parse.errors().is_empty() {
            return None;
        }
        let expr = parse.tree().expr()?;
        is_closed(expr.syntax(), &mut Vec::new()).then(|| text.to_string())
    }
}

fn is_closed(node: &rnix::SyntaxNode, bound: &mut Vec<String>) -> bool {
    use rnix::SyntaxKind as K;
    match node.kind() {
        K::NODE_WITH | K::NODE_PATH_REL | K::NODE_PATH_HOME | K::NODE_PATH_SEARCH => false,
        K::NODE_IDENT => {
            let parent_is_attr = node.parent().is_some_and(|p| {
                matches!(
                    p.kind(),
                    K::NODE_ATTRPATH | K::NODE_PAT_ENTRY | K::NODE_PAT_BIND | K::NODE_IDENT_PARAM
                )
            });
            let name = node.text().to_string();
            parent_is_attr
                || bound.contains(&name)
                || matches!(name.as_str(), "true" | "false" | "null" | "builtins")
        }
        K::NODE_LAMBDA => {
            let before = bound.len();
            if let Some(lambda) = ast::Lambda::cast(node.clone()) {
                match lambda.param() {
                    Some(ast::Param::IdentParam(p)) => {
                        if let Some(i) = p.ident() {
                            bound.push(i.syntax().text().to_string());
                        }
                    }
                    Some(ast::Param::Pattern(p)) => {
                        for e in p.pat_entries() {
                            if let Some(i) = e.ident() {
                                bound.push(i.syntax().text().to_string());
                            }
                        }
                        if let Some(i) = p.pat_bind().and_then(|b| b.ident()) {
                            bound.push(i.syntax().text().to_string());
                        }
                    }
                    None => {}
                }
            }
            let ok = node.children().all(|c| is_closed(&c, bound));
            bound.truncate(before);
            ok
        }
        K::NODE_LET_IN | K::NODE_ATTR_SET => {
            let before = bound.len();
            let recursive = node.kind() == K::NODE_LET_IN
                || ast::AttrSet::cast(node.clone()).is_some_and(|s| s.rec_token().is_some());
            if recursive {
                for child in node.children() {
                    if child.kind() == K::NODE_ATTRPATH_VALUE
                        && let Some(first) = child
                            .children()
                            .find(|c| c.kind() == K::NODE_ATTRPATH)
                            .and_then(|p| p.children().next())
                        && first.kind() == K::NODE_IDENT
                    {
                        bound.push(first.text().to_string());
                    }
                    if child.kind() == K::NODE_INHERIT {
                        for i in child.children().filter(|c| c.kind() == K::NODE_IDENT) {
                            bound.push(i.text().to_string());
                        }
                    }
                }
            }
            let ok = node.children().all(|c| {
                if c.kind() == K::NODE_INHERIT && c.children().all(|i| i.kind() == K::NODE_IDENT) {
                    // plain `inherit x;` reads x from outside
                    c.children().all(|i| bound.contains(&i.text().to_string()))
                } else {
                    is_closed(&c, bound)
                }
            });
            bound.truncate(before);
            ok
        }
        _ => node.children().all(|c| is_closed(&c, bound)),
    }
}

/// Bindings being collected for one attrset or `let`.
#[derive(Default, Clone)]
struct Tree {
    entries: BTreeMap<Rc<str>, TreeNode>,
    span: Option<Span>,
}

#[derive(Clone)]
struct TreeNode {
    key_span: Span,
    value_span: Span,
    dynamic: bool,
    kind: TreeKind,
}

#[derive(Clone)]
enum TreeKind {
    Leaf(Thunk),
    Set(Tree),
}

impl TreeNode {
    fn into_thunk(self) -> Thunk {
        match self.kind {
            TreeKind::Leaf(t) => t,
            TreeKind::Set(tree) => {
                let span = tree.span.unwrap_or(self.value_span);
                Thunk::ready(Val {
                    v: V::Attrs(Rc::new(tree.into_map())),
                    span,
                })
            }
        }
    }
}

impl Tree {
    fn into_map(self) -> AttrMap {
        self.entries
            .into_iter()
            .map(|(k, node)| {
                let key_span = node.key_span;
                (
                    k,
                    Binding {
                        thunk: node.into_thunk(),
                        key_span,
                    },
                )
            })
            .collect()
    }

    fn subtree(
        &mut self,
        name: Rc<str>,
        key_span: Span,
        dynamic: bool,
    ) -> Result<&mut Tree, Diagnostic> {
        let node = self
            .entries
            .entry(name.clone())
            .or_insert_with(|| TreeNode {
                key_span,
                value_span: key_span,
                dynamic,
                kind: TreeKind::Set(Tree::default()),
            });
        match &mut node.kind {
            TreeKind::Set(tree) => Ok(tree),
            TreeKind::Leaf(_) => Err(duplicate(&name, key_span, node.key_span)),
        }
    }

    fn insert_leaf(
        &mut self,
        name: Rc<str>,
        thunk: Thunk,
        key_span: Span,
        value_span: Span,
    ) -> Result<(), Diagnostic> {
        if let Some(existing) = self.entries.get(&name) {
            return Err(duplicate(&name, key_span, existing.key_span));
        }
        self.entries.insert(
            name,
            TreeNode {
                key_span,
                value_span,
                dynamic: false,
                kind: TreeKind::Leaf(thunk),
            },
        );
        Ok(())
    }
}

fn duplicate(name: &str, span: Span, first: Span) -> Diagnostic {
    err(
        Kind::Duplicate,
        span,
        format!("attribute `{name}` is defined twice"),
    )
    .with_label("defined again here")
    .with_note(first, "first defined here")
    .with_hint("merge the two definitions into one")
}

fn opaque(path: Vec<Rc<str>>, args: Vec<Thunk>) -> V {
    V::Opaque(Rc::new(Opaque { path, args }))
}

/// The value the reader gives a module function's arguments (`{ lib, config, ... }`).
pub fn opaque_val(name: &str, span: Span) -> Val {
    Val {
        v: opaque(vec![name.into()], vec![]),
        span,
    }
}

fn as_float(v: &V) -> f64 {
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

fn type_error(span: Span, expected: &str, got: &Val) -> Diagnostic {
    err(
        Kind::WrongType,
        span,
        format!("expected {expected}, found {}", type_name(got)),
    )
}

fn ident_name(ident: &ast::Ident) -> Rc<str> {
    ident.syntax().text().to_string().into()
}

/// Files larger than this are not read: an inventory is small, and reading a huge file would
/// only exhaust memory.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads a regular file of at most [`MAX_FILE_BYTES`]. Devices, pipes and sockets are refused
/// before they are opened, so reading never blocks. Errors are (reason, hint).
fn read_bounded(path: &Path) -> Result<Vec<u8>, (String, &'static str)> {
    use std::io::Read as _;
    let failed = |e: std::io::Error| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            "check the path; it is relative to the file that names it"
        } else {
            "check the file's permissions"
        };
        (io_reason(&e), hint)
    };
    let too_large = |len: u64| {
        (
            format!(
                "it is {:.1} MiB, more than the {} MiB an inventory file may have",
                len as f64 / (1024.0 * 1024.0),
                MAX_FILE_BYTES >> 20
            ),
            "inventory files are small text files; is this the right file?",
        )
    };
    let meta = std::fs::metadata(path).map_err(failed)?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "it is a directory"
        } else {
            "it is not a regular file (a device, pipe or socket)"
        };
        return Err((what.into(), "only regular files in the flake can be read"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(failed)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Turns data read from JSON into a value.
pub fn data_to_val(data: Data) -> Val {
    let span = data.span;
    let v = match data.kind {
        DataKind::Null => V::Null,
        DataKind::Bool(b) => V::Bool(b),
        DataKind::Int(i) => V::Int(i),
        DataKind::Float(f) => V::Float(f),
        DataKind::Str(s) => V::Str(s.into()),
        DataKind::Path(p) => V::Path(p.into()),
        DataKind::List(items) => V::List(
            items
                .into_iter()
                .map(|d| Thunk::ready(data_to_val(d)))
                .collect::<Vec<_>>()
                .into(),
        ),
        DataKind::Attrs(entries) => V::Attrs(Rc::new(
            entries
                .into_iter()
                .map(|(k, e)| {
                    (
                        Rc::from(k.as_str()),
                        Binding {
                            thunk: Thunk::ready(data_to_val(e.value)),
                            key_span: e.key_span,
                        },
                    )
                })
                .collect(),
        )),
        DataKind::Override {
            priority,
            style,
            content,
        } => V::Override {
            priority,
            style,
            content: Thunk::ready(data_to_val(*content)),
        },
        DataKind::Verbatim(text) => V::Str(text.into()),
    };
    Val { v, span }
}

/// Our own words for rnix's parse errors.
fn syntax_error(file: FileId, e: &rnix::ParseError) -> Diagnostic {
    use rnix::ParseError as P;
    let at = |range: rowan::TextRange| Span::new(file, range);
    let end = Span {
        file,
        start: u32::MAX,
        end: u32::MAX,
    };
    let (span, message) = match e {
        P::Unexpected(range) => (at(*range), "unexpected text".to_string()),
        P::UnexpectedExtra(range) => (
            at(*range),
            "unexpected text after the end of the expression".into(),
        ),
        // rnix lexes the rest of the file after an unclosed quote as one error token.
        P::UnexpectedWanted(rnix::SyntaxKind::TOKEN_ERROR, range, wanted)
            if wanted.contains(&rnix::SyntaxKind::TOKEN_STRING_END) =>
        {
            let start = u32::from(range.start()).saturating_sub(1);
            (
                Span {
                    file,
                    start,
                    end: start + 1,
                },
                "this string is never closed".into(),
            )
        }
        P::UnexpectedWanted(got, range, wanted) => (
            at(*range),
            format!(
                "expected {}, found {}",
                describe_kinds(wanted),
                describe_kind(*got)
            ),
        ),
        P::UnexpectedDoubleBind(range) => (at(*range), "the argument set is bound twice".into()),
        P::UnexpectedEOF => (end, "unexpected end of file".into()),
        P::UnexpectedEOFWanted(wanted) => (
            end,
            format!(
                "unexpected end of file, expected {}",
                describe_kinds(wanted)
            ),
        ),
        P::DuplicatedArgs(range, name) => {
            (at(*range), format!("the argument `{name}` is listed twice"))
        }
        P::RecursionLimitExceeded => (
            Span {
                file,
                start: 0,
                end: 0,
            },
            "the file is nested too deeply to parse".into(),
        ),
        _ => (
            Span {
                file,
                start: 0,
                end: 0,
            },
            "the file is not valid Nix".into(),
        ),
    };
    // Point at where the problem starts, not at everything rnix skipped after it.
    let span = Span {
        end: span.end.min(span.start.saturating_add(1)),
        ..span
    };
    err(Kind::Syntax, span, message).with_label("here")
}

fn describe_kinds(kinds: &[rnix::SyntaxKind]) -> String {
    let mut names: Vec<String> = kinds.iter().map(|k| describe_kind(*k)).collect();
    names.dedup();
    match names.len() {
        0 => "something else".into(),
        1 => names.remove(0),
        _ => {
            let last = names.pop().unwrap_or_default();
            format!("{} or {last}", names.join(", "))
        }
    }
}

fn describe_kind(kind: rnix::SyntaxKind) -> String {
    use rnix::SyntaxKind as K;
    let text = match kind {
        K::TOKEN_SEMICOLON => "`;`",
        K::TOKEN_ASSIGN => "`=`",
        K::TOKEN_L_BRACE => "`{`",
        K::TOKEN_R_BRACE => "`}`",
        K::TOKEN_L_BRACK => "`[`",
        K::TOKEN_R_BRACK => "`]`",
        K::TOKEN_L_PAREN => "`(`",
        K::TOKEN_R_PAREN => "`)`",
        K::TOKEN_COLON => "`:`",
        K::TOKEN_COMMA => "`,`",
        K::TOKEN_DOT => "`.`",
        K::TOKEN_IN => "`in`",
        K::TOKEN_THEN => "`then`",
        K::TOKEN_ELSE => "`else`",
        K::TOKEN_IDENT | K::NODE_IDENT => "a name",
        K::TOKEN_STRING_END => "the end of the string",
        K::TOKEN_INTERPOL_END => "`}` closing the interpolation",
        K::TOKEN_ERROR => "an invalid character",
        K::NODE_ATTRPATH => "an attribute name",
        _ => return "an expression".into(),
    };
    text.into()
}

/// Clamps a span whose start is past the end of its file (end-of-file errors) to the end.
pub fn clamp_span(sources: &SourceMap, span: Span) -> Span {
    let len = sources.text(span.file).len() as u32;
    Span {
        file: span.file,
        start: span.start.min(len),
        end: span.end.min(len),
    }
}
