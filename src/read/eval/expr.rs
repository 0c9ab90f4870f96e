//! Evaluation of expressions: literals, strings and paths with interpolation, names and scopes,
//! selection, function application and lambdas, operators and equality, all with Nix's meaning.

use super::Evaluator;
use super::builtins::{self, Namespace};
use super::errors::{err, not_static, type_error};
use super::files::normalize;
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
        for piece in pieces {
            match piece {
                Piece::Text(t) => out.push_str(&t),
                Piece::Interpolation(i) => {
                    let inner = interpolations[i]
                        .expr()
                        .ok_or_else(|| err(Kind::Syntax, span, "empty interpolation"))?;
                    let v = self.eval(&inner, env, file)?;
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

    pub(crate) fn eval_binop(
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
            // rnix parses the pipe operators of later Nix versions; Nix 2.8 has none.
            K::PipeRight | K::PipeLeft => Err(err(
                Kind::Syntax,
                span,
                format!(
                    "the operator `{}` is not in Nix 2.8",
                    if kind == K::PipeRight { "|>" } else { "<|" }
                ),
            )
            .with_hint("apply the function instead: `f x`")),
            _ => {
                let l = self.eval(&lhs, env, file)?;
                let r = self.eval(&rhs, env, file)?;
                if matches!(l.v, V::Opaque(_)) {
                    return Ok(self.opaque_at(&l, span));
                }
                if matches!(r.v, V::Opaque(_)) {
                    return Ok(self.opaque_at(&r, span));
                }
                match kind {
                    K::Equal => val(V::Bool(self.equal(&l, &r)?)),
                    K::NotEqual => val(V::Bool(!self.equal(&l, &r)?)),
                    // As Nix: `a > b` is `b < a`, `a <= b` is `!(b < a)`, `a >= b` is `!(a < b)`.
                    K::Less => val(V::Bool(self.less(&l, &r, span)?)),
                    K::More => val(V::Bool(self.less(&r, &l, span)?)),
                    K::LessOrEq => val(V::Bool(!self.less(&r, &l, span)?)),
                    K::MoreOrEq => val(V::Bool(!self.less(&l, &r, span)?)),
                    K::Add => self.add(&l, &r, span),
                    K::Update => match (&l.v, &r.v) {
                        (V::Attrs(a), V::Attrs(b)) => {
                            if b.is_empty() {
                                return val(V::Attrs(a.clone()));
                            }
                            if a.is_empty() {
                                return val(V::Attrs(b.clone()));
                            }
                            self.charge((a.len() + b.len()) * ENTRY_BYTES, span)?;
                            let mut merged = (**a).clone();
                            for (k, v) in b.iter() {
                                merged.insert(k.clone(), v.clone());
                            }
                            val(V::Attrs(Rc::new(merged)))
                        }
                        (V::Attrs(_), _) => Err(type_error(r.span, "an attribute set", &r)),
                        _ => Err(type_error(l.span, "an attribute set", &l)),
                    },
                    K::Concat => match (&l.v, &r.v) {
                        (V::List(a), V::List(b)) => {
                            self.charge(LIST_BYTES + (a.len() + b.len()) * ITEM_BYTES, span)?;
                            let items: Vec<Thunk> = a.iter().chain(b.iter()).cloned().collect();
                            val(V::List(items.into()))
                        }
                        (V::List(_), _) => Err(type_error(r.span, "a list", &r)),
                        _ => Err(type_error(l.span, "a list", &l)),
                    },
                    K::Sub | K::Mul | K::Div => match (&l.v, &r.v) {
                        (V::Int(a), V::Int(b)) => {
                            let (a, b) = (*a, *b);
                            let overflow = || err(Kind::EvalError, span, "integer overflow");
                            match kind {
                                K::Sub => val(V::Int(a.checked_sub(b).ok_or_else(overflow)?)),
                                K::Mul => val(V::Int(a.checked_mul(b).ok_or_else(overflow)?)),
                                _ => {
                                    if b == 0 {
                                        return Err(err(Kind::EvalError, span, "division by zero"));
                                    }
                                    val(V::Int(a.checked_div(b).ok_or_else(overflow)?))
                                }
                            }
                        }
                        (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => {
                            let a = as_float(&l.v);
                            let b = as_float(&r.v);
                            match kind {
                                K::Sub => val(V::Float(a - b)),
                                K::Mul => val(V::Float(a * b)),
                                _ => {
                                    if b == 0.0 {
                                        return Err(err(Kind::EvalError, span, "division by zero"));
                                    }
                                    val(V::Float(a / b))
                                }
                            }
                        }
                        (V::Int(_) | V::Float(_), _) => Err(type_error(r.span, "a number", &r)),
                        _ => Err(type_error(l.span, "a number", &l)),
                    },
                    _ => Err(not_static(span, "this operator")),
                }
            }
        }
    }

    /// `+` as Nix's string concatenation node evaluates it: numbers add (an integer and a float
    /// give a float); a path first makes a path (what follows is appended as text, so
    /// `./modules + /roles` is `<dir>/modules/roles`); anything else makes a string, where a
    /// path would be copied to the store (which the reader cannot know).
    fn add(&mut self, l: &Val, r: &Val, span: Span) -> Result<Val, Diagnostic> {
        let val = |v: V| Ok(Val { v, span });
        match (&l.v, &r.v) {
            (V::Int(a), V::Int(b)) => {
                val(V::Int(a.checked_add(*b).ok_or_else(|| {
                    err(Kind::EvalError, span, "integer overflow")
                })?))
            }
            (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => {
                val(V::Float(as_float(&l.v) + as_float(&r.v)))
            }
            (V::Int(_) | V::Float(_), _) => Err(err(
                Kind::EvalError,
                span,
                format!("cannot add {} to a number", type_name(r)),
            )),
            (V::Path(a), _) => {
                let tail = match self.coerce_to_string(r, true)? {
                    Ok(s) => s,
                    Err(opaque) => return Ok(self.opaque_at(&opaque, span)),
                };
                let mut joined = a.as_os_str().to_os_string();
                joined.push(&*tail);
                val(V::Path(normalize(Path::new(&joined)).into()))
            }
            _ => {
                let head = match self.coerce_to_string(l, false)? {
                    Ok(s) => s,
                    Err(opaque) => return Ok(self.opaque_at(&opaque, span)),
                };
                let tail = match self.coerce_to_string(r, false)? {
                    Ok(s) => s,
                    Err(opaque) => return Ok(self.opaque_at(&opaque, span)),
                };
                self.charge(head.len() + tail.len(), span)?;
                let mut out = String::with_capacity(head.len() + tail.len());
                out.push_str(&head);
                out.push_str(&tail);
                val(V::Str(out.into()))
            }
        }
    }

    /// A value as Nix coerces it into a string (interpolation, `+`): strings as they are, sets
    /// through `__toString` or `outPath`; a path as its text where Nix keeps it (`path_text`,
    /// after a path), otherwise it would be copied to the store, which the reader cannot know.
    /// `Err(value)` is an opaque value met on the way.
    pub(crate) fn coerce_to_string(
        &mut self,
        v: &Val,
        path_text: bool,
    ) -> Result<Result<Rc<str>, Val>, Diagnostic> {
        match &v.v {
            V::Str(s) => Ok(Ok(s.clone())),
            V::Opaque(_) => Ok(Err(v.clone())),
            V::Path(p) if path_text => Ok(Ok(p.to_string_lossy().into())),
            V::Path(_) => Err(not_static(
                v.span,
                "a path inside a string (Nix copies it to the store)",
            )),
            V::Attrs(map) => {
                if let Some(b) = map.get("__toString") {
                    let f = self.force(&b.thunk.clone())?;
                    let s = self.apply(f, Thunk::ready(v.clone()), v.span)?;
                    return self.coerce_to_string(&s, path_text);
                }
                if let Some(b) = map.get("outPath") {
                    let o = self.force(&b.thunk.clone())?;
                    return self.coerce_to_string(&o, path_text);
                }
                Err(cannot_coerce(v))
            }
            _ => Err(cannot_coerce(v)),
        }
    }

    /// Nix's `<` (`CompareValues`): numbers, strings and paths by value, lists
    /// lexicographically (elements compared only where they differ); nothing else.
    pub(crate) fn less(&mut self, a: &Val, b: &Val, span: Span) -> Result<bool, Diagnostic> {
        Ok(match (&a.v, &b.v) {
            (V::Int(x), V::Int(y)) => x < y,
            (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => as_float(&a.v) < as_float(&b.v),
            (V::Str(x), V::Str(y)) => x < y,
            (V::Path(x), V::Path(y)) => x.as_os_str() < y.as_os_str(),
            (V::List(x), V::List(y)) => {
                for i in 0.. {
                    if i == y.len() {
                        return Ok(false);
                    }
                    if i == x.len() {
                        return Ok(true);
                    }
                    let vx = self.force(&x[i])?;
                    let vy = self.force(&y[i])?;
                    if !Rc::ptr_eq(&x[i].0, &y[i].0) && !self.equal(&vx, &vy)? {
                        return self.less(&vx, &vy, span);
                    }
                }
                unreachable!("the loop returns")
            }
            (V::Opaque(_), _) | (_, V::Opaque(_)) => {
                return Err(not_static(span, "this comparison"));
            }
            _ => {
                return Err(err(
                    Kind::EvalError,
                    span,
                    format!("cannot compare {} with {}", type_name(a), type_name(b)),
                ));
            }
        })
    }

    /// Nix's `==` (`eqValues`): deep, an integer equal to the same float, functions never
    /// equal — except that an element is equal to itself (Nix compares the same value by
    /// address first), and two derivations compare by their `outPath`. An unknown value met
    /// inside is not-static: the answer cannot be known.
    pub(crate) fn equal(&mut self, a: &Val, b: &Val) -> Result<bool, Diagnostic> {
        Ok(match (&a.v, &b.v) {
            (V::Null, V::Null) => true,
            (V::Bool(x), V::Bool(y)) => x == y,
            (V::Int(x), V::Int(y)) => x == y,
            (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => as_float(&a.v) == as_float(&b.v),
            (V::Str(x), V::Str(y)) => x == y,
            (V::Path(x), V::Path(y)) => x == y,
            (V::List(x), V::List(y)) => {
                if x.len() != y.len() {
                    return Ok(false);
                }
                for (tx, ty) in x.iter().zip(y.iter()) {
                    if !self.equal_thunks(tx, ty)? {
                        return Ok(false);
                    }
                }
                true
            }
            (V::Attrs(x), V::Attrs(y)) => {
                if let (Some(px), Some(py)) = (self.out_path(x)?, self.out_path(y)?) {
                    return self.equal_thunks(&px, &py);
                }
                if x.len() != y.len() {
                    return Ok(false);
                }
                for ((kx, bx), (ky, by)) in x.iter().zip(y.iter()) {
                    if kx != ky || !self.equal_thunks(&bx.thunk, &by.thunk)? {
                        return Ok(false);
                    }
                }
                true
            }
            (V::Opaque(_), _) | (_, V::Opaque(_)) => {
                let at = if matches!(a.v, V::Opaque(_)) { a } else { b };
                return Err(not_static(at.span, "this value, compared here,"));
            }
            _ => false,
        })
    }

    fn equal_thunks(&mut self, x: &Thunk, y: &Thunk) -> Result<bool, Diagnostic> {
        let vx = self.force(x)?;
        let vy = self.force(y)?;
        if Rc::ptr_eq(&x.0, &y.0) {
            return Ok(true);
        }
        self.equal(&vx, &vy)
    }

    /// The `outPath` of a set that is a derivation (`type = "derivation"`), as Nix compares them.
    fn out_path(&mut self, set: &AttrMap) -> Result<Option<Thunk>, Diagnostic> {
        let Some(t) = set.get("type") else {
            return Ok(None);
        };
        let is_derivation =
            matches!(&self.force(&t.thunk.clone())?.v, V::Str(s) if &**s == "derivation");
        Ok(is_derivation
            .then(|| set.get("outPath").map(|b| b.thunk.clone()))
            .flatten())
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

fn cannot_coerce(v: &Val) -> Diagnostic {
    err(
        Kind::EvalError,
        v.span,
        format!("cannot put {} into a string", type_name(v)),
    )
    .with_hint(
        "only strings, and attribute sets with `outPath` or `__toString`, can be put into a string",
    )
}

/// Approximate sizes charged to the memory budget (see `Evaluator::charge`).
pub(crate) const LIST_BYTES: usize = 32;
pub(crate) const ITEM_BYTES: usize = 8;
pub(crate) const ENTRY_BYTES: usize = 48;

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
