//! Evaluation of expressions: literals, strings and paths with interpolation, names and scopes,
//! selection, function application and lambdas, operators and equality, all with Nix's meaning.

use super::Evaluator;
use super::builtins::{self, Namespace};
use super::errors::{err, not_static, type_error};
use super::files::normalize;
use super::ops::{ITEM_BYTES, LIST_BYTES};
use super::strings::{self, Piece};
use super::value::*;
use crate::diagnostics::{Diagnostic, FileId, Kind, Span};
use rnix::ast::{self, AstToken};
use rowan::ast::AstNode;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

impl Evaluator {
    pub(crate) fn eval_inner(
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
                let items: Vec<Thunk> =
                    list.items().map(|item| thunk_of(item, env, file)).collect();
                self.charge(LIST_BYTES + items.len() * ITEM_BYTES, span)?;
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
            // `let { …; body = …; }`, which Nix 2.8 still reads: a recursive set's `body`.
            ast::Expr::LegacyLet(legacy) => {
                let scope = self.bind_recursive(legacy, env, file)?;
                self.lookup("body", &scope, span)
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
                let attrs: Vec<ast::Attr> = attrpath.attrs().collect();
                for (i, attr) in attrs.iter().enumerate() {
                    let Some(name) = self.attr_name(attr, env, file)? else {
                        return val(V::Bool(false));
                    };
                    match &current.v {
                        // The last value is not forced: `{ a = throw "x"; } ? a` is true.
                        V::Attrs(map) => match map.get(&*name) {
                            Some(_) if i + 1 == attrs.len() => return val(V::Bool(true)),
                            Some(b) => current = self.force(&b.thunk.clone())?,
                            None => return val(V::Bool(false)),
                        },
                        // `builtins ? map` is known for the builtins the reader has; any
                        // other question about an unknown value has an unknown answer.
                        V::Opaque(o)
                            if o.args.is_empty()
                                && o.last() == Some("builtins")
                                && i + 1 == attrs.len()
                                && builtins::find(Namespace::Builtins, &name).is_some() =>
                        {
                            return val(V::Bool(true));
                        }
                        V::Opaque(_) => return Ok(self.opaque_at(&current, span)),
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
                // A wrapper of the user's own named like a clan call (`buildClan = args: …`)
                // is followed by evaluating it: discovery must know this call was reached.
                if matches!(f.v, V::Lambda(_)) && crate::read::discover::names_clan_call(&function)
                {
                    self.reached_calls.insert(span);
                }
                let arg = thunk_of(argument, env, file);
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
                    // Nix reads `-x` as `0 - x`: `-0.0` is `0.0`.
                    (Some(ast::UnaryOpKind::Negate), V::Float(f)) => val(V::Float(0.0 - f)),
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
                    match c.v {
                        V::Bool(true) => {}
                        V::Bool(false) => {
                            return Err(err(
                                Kind::EvalError,
                                span,
                                format!("assertion `{}` failed", cond.syntax().text()),
                            ));
                        }
                        V::Opaque(_) => return Ok(self.opaque_at(&c, span)),
                        _ => return Err(type_error(c.span, "a boolean", &c)),
                    }
                }
                self.eval(&body, env, file)
            }
            _ => Err(not_static(span, "this expression")),
        }
    }

    pub(crate) fn eval_string(
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
        // `"${./dir}/x"` (or `"${self}/x"`): Nix copies the directory to the store and the
        // string names a file of that copy, whose text the reader cannot know (opaque: data
        // made of it is not-static), but which holds the same files as the flake's `./dir/x`.
        let mut leading_path: Option<Rc<Path>> = None;
        for (n, piece) in pieces.into_iter().enumerate() {
            match piece {
                Piece::Text(t) => out.push_str(&t),
                Piece::Interpolation(i) => {
                    let inner = interpolations[i]
                        .expr()
                        .ok_or_else(|| err(Kind::Syntax, span, "empty interpolation"))?;
                    let v = self.eval(&inner, env, file)?;
                    if n == 0
                        && let Some(p) = readable_path(&v)
                    {
                        leading_path = Some(p);
                        continue;
                    }
                    match self.coerce_to_string(&v, false)? {
                        Ok(s) => {
                            self.charge(out.len() + s.len(), span)?;
                            out.push_str(&s)
                        }
                        Err(opaque) => return Ok(self.opaque_at(&opaque, span)),
                    }
                }
            }
        }
        if let Some(p) = leading_path {
            let mut joined = p.as_os_str().to_os_string();
            joined.push(&out);
            return Ok(Val {
                v: store_copy(
                    normalize(Path::new(&joined)).into(),
                    &s.syntax().text().to_string(),
                ),
                span,
            });
        }
        Ok(Val {
            v: V::Str(out.into()),
            span,
        })
    }

    pub(crate) fn eval_path(
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
        // An absolute path is a value like any other (`./modules + /roles` is a path in the
        // flake); reading one outside the flake is refused where it is read.
        if text.starts_with('/') {
            return Ok(Val {
                v: V::Path(normalize(Path::new(&text)).into()),
                span,
            });
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
    pub(crate) fn attr_name(
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

    pub(crate) fn lookup(&mut self, name: &str, env: &Env, span: Span) -> Result<Val, Diagnostic> {
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
        // Nix's global names live in the outermost lexical scope, so `with` never shadows them.
        if let Some(v) = global(name) {
            return Ok(Val { v, span });
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
        Err(err(
            Kind::EvalError,
            span,
            format!("undefined variable `{name}`"),
        ))
    }

    pub(crate) fn opaque_at(&self, from: &Val, span: Span) -> Val {
        match &from.v {
            // A value computed from the unknown one: it keeps its description (for errors), and
            // is marked so that it is never carried as the code of the value it came from.
            V::Opaque(o) => Val {
                v: V::Opaque(Rc::new(Opaque {
                    path: o.path.clone(),
                    args: o.args.clone(),
                    store_copy: o.store_copy.clone(),
                    derived: true,
                })),
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
    pub(crate) fn opaque_select(&self, base: &Val, name: &str, span: Span) -> Val {
        let V::Opaque(o) = &base.v else {
            return self.opaque_at(base, span);
        };
        if o.args.is_empty() {
            let parent = o.last();
            let builtin = match parent {
                Some("lib") => builtins::find(Namespace::Lib, name),
                Some("builtins") => builtins::find(Namespace::Builtins, name),
                // `lib.attrsets.filterAttrs`, `lib.modules.importApply`, …
                Some(ns) if o.path.len() >= 2 && &*o.path[o.path.len() - 2] == "lib" => {
                    builtins::find_lib_nested(ns, name)
                }
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

    pub(crate) fn eval_select(
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
                if args.len() < b.arity {
                    return Ok(Val {
                        v: V::Builtin(b, args.into()),
                        span,
                    });
                }
                (b.run)(self, &args, span)
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

    pub(crate) fn call_lambda(
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
                if pattern.ellipsis_token().is_none()
                    && let V::Attrs(map) = &given.v
                {
                    let declared: Vec<Rc<str>> = pattern
                        .pat_entries()
                        .filter_map(|e| e.ident())
                        .map(|i| ident_name(&i))
                        .collect();
                    if let Some(extra) = map.keys().find(|k| !declared.contains(k)) {
                        let lambda_span =
                            Span::new(closure.file, closure.lambda.syntax().text_range());
                        let mut d = err(
                            Kind::EvalError,
                            span,
                            format!("the function is called with an unexpected argument `{extra}`"),
                        )
                        .with_note(lambda_span, "the function, which takes no other arguments");
                        if let Some(s) =
                            crate::diagnostics::suggest(extra, declared.iter().map(|d| &**d))
                        {
                            d = d.with_hint(format!("did you mean `{s}`?"));
                        }
                        return Err(d);
                    }
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
}

/// The thunk of an expression evaluated lazily in `env`: a name bound lexically is its
/// binding's own thunk, as in Nix (so `[ f ] == [ f ]` compares the same value, and no thunk is
/// made); anything else a new thunk. Only for scopes already complete (not while a `let` or
/// `rec` is being built).
fn thunk_of(expr: ast::Expr, env: &Env, file: FileId) -> Thunk {
    if let ast::Expr::Ident(ident) = &expr
        && let Some(token) = ident.ident_token()
    {
        let name = token.text();
        let mut scope = Some(env);
        while let Some(s) = scope {
            if let Scope::Vars { vars, .. } = &**s
                && let Some(t) = vars.borrow().get(name)
            {
                return t.clone();
            }
            scope = s.parent();
        }
    }
    Thunk::code(expr, env.clone(), file)
}

/// The value of a name Nix binds globally, if it is one: constants, `builtins`, and the builtins
/// Nix also binds without `builtins.` (unknown ones stay opaque).
pub(crate) fn global(name: &str) -> Option<V> {
    Some(match name {
        "true" => V::Bool(true),
        "false" => V::Bool(false),
        "null" => V::Null,
        "builtins" => opaque(vec!["builtins".into()], vec![]),
        _ => {
            if let Some(b) = builtins::find_global(name) {
                V::Builtin(b, Rc::from(vec![]))
            } else if builtins::GLOBAL_NAMES.contains(&name) || name.starts_with("__") {
                opaque(vec![name.into()], vec![])
            } else {
                return None;
            }
        }
    })
}
