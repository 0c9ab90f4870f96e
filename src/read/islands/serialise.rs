//! Values and expressions of the static evaluator written back as Nix source, so that an island
//! can be evaluated by the user's Nix with exactly the values the static reader had.
//!
//! An expression becomes `((a: b: <its text>) <value of a> <value of b>)`: its free names are
//! bound by a function, and their values are written outside it, so no binding can capture a
//! name it should not. Unevaluated values are written as their own expression (so Nix evaluates
//! them only if it needs them, as laziness demands); values that failed become `throw`s with
//! their message; data becomes literals; functions become their source with their free names
//! bound the same way. Unknown values become what they stand for: `inputs.<name>…` and `self…`
//! through `builtins.getFlake` of the flake directory, `lib` as the flake's nixpkgs `lib`.
//! Everything written is bounded in size and depth; what cannot be written is an error.

use super::free;
use crate::diagnostics::{FileId, Span};
use crate::read::eval::builtins::{self, GLOBAL_NAMES, Namespace};
use crate::read::eval::{Env, Evaluator, Scope, Thunk, ThunkState, V, Val};
use rnix::SyntaxNode;
use rowan::ast::AstNode;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The name the flake (`builtins.getFlake`) is bound to in an island's program.
pub const FLAKE: &str = "__inventoryGenFlake";

/// Serialised programs larger than this are refused: an island is a small expression.
const MAX_BYTES: usize = 8 << 20;
/// Deeper nesting of values than this is refused.
const MAX_DEPTH: usize = 200;

/// What a serialised program needs from outside, for the cache key.
#[derive(Default, Debug)]
pub struct Uses {
    /// The program reads the flake (`builtins.getFlake`).
    pub flake: bool,
    /// It may read all of the flake's source (`self`, or `inputs` as a whole).
    pub whole_flake: bool,
    /// Inputs it reads by name.
    pub inputs: BTreeSet<String>,
    /// Files and directories it names by path.
    pub paths: BTreeSet<PathBuf>,
    /// It reads `<nixpkgs/lib>` when the flake has no nixpkgs input.
    pub nix_path: bool,
}

pub struct Serialiser<'a> {
    ev: &'a mut Evaluator,
    pub uses: Uses,
    bytes: usize,
    depth: usize,
    visiting: Vec<usize>,
}

type R = Result<String, String>;

impl<'a> Serialiser<'a> {
    pub fn new(ev: &'a mut Evaluator) -> Serialiser<'a> {
        Serialiser {
            ev,
            uses: Uses::default(),
            bytes: 0,
            depth: 0,
            visiting: Vec::new(),
        }
    }

    fn grow(&mut self, text: String) -> R {
        self.bytes += text.len();
        if self.bytes > MAX_BYTES {
            return Err(format!(
                "the values it uses are larger than the {} MiB an island may pass to Nix",
                MAX_BYTES >> 20
            ));
        }
        Ok(text)
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("the values it uses are nested too deeply to pass to Nix".into());
        }
        Ok(())
    }

    /// `node` (an expression of `file`) with its free names bound from `env`.
    pub fn expr(&mut self, node: &SyntaxNode, env: &Env, file: FileId) -> R {
        self.enter()?;
        let result = self.expr_inner(node, env, file);
        self.depth -= 1;
        result
    }

    fn expr_inner(&mut self, node: &SyntaxNode, env: &Env, file: FileId) -> R {
        let needs = free::needs(node);
        let mut text = node.text().to_string();
        if !needs.relative_paths.is_empty() {
            let dir = self
                .ev
                .sources
                .path(file)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let shown = dir.display().to_string();
            if !shown.starts_with('/')
                || !shown
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._+-/".contains(c))
            {
                return Err(format!(
                    "its relative paths cannot be written for Nix: the directory `{shown}` has characters a Nix path cannot hold"
                ));
            }
            for &at in needs.relative_paths.iter().rev() {
                let literal: String = text[at..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && !"${};)],".contains(*c))
                    .collect();
                self.uses
                    .paths
                    .insert(crate::read::eval::normalize(&dir.join(&literal)));
                text.insert_str(at, &format!("{shown}/"));
            }
        }
        let span = Span::new(file, node.text_range());
        let mut params = Vec::new();
        let mut args = Vec::new();
        for name in needs.names {
            let Some(value) = self.resolve(&name, env, span)? else {
                continue;
            };
            params.push(name.name);
            args.push(value);
        }
        if params.is_empty() {
            return self.grow(format!("({text}\n)"));
        }
        let mut out = String::from("((");
        for p in &params {
            out.push_str(p);
            out.push_str(": ");
        }
        out.push_str(&text);
        out.push_str("\n)");
        for a in args {
            out.push_str(" (");
            out.push_str(&a);
            out.push(')');
        }
        out.push(')');
        self.grow(out)
    }

    /// The value a free name has where the expression was written, or `None` when Nix finds
    /// it by itself (a global name, or one a `with` inside the expression may give).
    fn resolve(
        &mut self,
        name: &free::FreeName,
        env: &Env,
        span: Span,
    ) -> Result<Option<String>, String> {
        let mut scope = Some(env);
        while let Some(s) = scope {
            if let Scope::Vars { vars, .. } = &**s {
                let found = vars.borrow().get(name.name.as_str()).cloned();
                if let Some(t) = found {
                    return self.thunk(&t).map(Some);
                }
            }
            scope = s.parent();
        }
        if is_global(&name.name) || name.only_under_with {
            return Ok(None);
        }
        // From a `with` around the expression.
        match self.ev.lookup(&name.name, env, span) {
            Ok(v) => self.val(&v).map(Some),
            Err(_) => Ok(None),
        }
    }

    fn is_flake_self(&self, map: &Rc<crate::read::eval::AttrMap>) -> bool {
        matches!(&self.ev.flake_self, Some((_, me)) if Rc::ptr_eq(me, map))
    }

    fn is_flake_inputs(&self, map: &Rc<crate::read::eval::AttrMap>) -> bool {
        matches!(&self.ev.flake_self, Some((inputs, _)) if Rc::ptr_eq(inputs, map))
    }

    /// A lazily evaluated value: its expression if it has not been evaluated, else its value.
    pub fn thunk(&mut self, thunk: &Thunk) -> R {
        let id = Rc::as_ptr(&thunk.0) as *const () as usize;
        if self.visiting.contains(&id) {
            return Err("a value it uses refers to itself".into());
        }
        enum Next {
            Val(Val),
            Code(rnix::ast::Expr, Env, FileId),
            Throw(String),
            Force,
        }
        let next = match &*thunk.0.borrow() {
            ThunkState::Done(Ok(v)) => Next::Val(v.clone()),
            ThunkState::Done(Err(d)) => Next::Throw(d.message.clone()),
            ThunkState::Code { expr, env, file } => Next::Code(expr.clone(), env.clone(), *file),
            ThunkState::Forcing(_) => Next::Throw("infinite recursion".into()),
            ThunkState::Deferred(..) => Next::Force,
        };
        self.visiting.push(id);
        let result = match next {
            Next::Val(v) => self.val(&v),
            Next::Code(expr, env, file) => self.expr(expr.syntax(), &env, file),
            Next::Throw(message) => Ok(format!("throw {}", string(&message))),
            Next::Force => match self.ev.force(thunk) {
                Ok(v) => self.val(&v),
                Err(d) => Ok(format!("throw {}", string(&d.message))),
            },
        };
        self.visiting.pop();
        result
    }

    /// A value as Nix source.
    pub fn val(&mut self, val: &Val) -> R {
        self.enter()?;
        let result = self.val_inner(val);
        self.depth -= 1;
        result
    }

    fn val_inner(&mut self, val: &Val) -> R {
        let text = match &val.v {
            V::Null => "null".into(),
            V::Bool(b) => b.to_string(),
            V::Int(i) => int(*i),
            V::Float(f) => float(*f)?,
            V::Str(s) => string(s),
            V::Path(p) => {
                self.uses.paths.insert(p.to_path_buf());
                format!("(/. + {})", string(&p.display().to_string()))
            }
            V::List(items) => {
                let mut out = String::from("[");
                for item in items.iter() {
                    out.push_str(" (");
                    out.push_str(&self.thunk(item)?);
                    out.push(')');
                }
                out.push_str(" ]");
                out
            }
            // The flake's own `self` and `inputs`, as discovery built them: Nix has the real
            // ones (they hold what the static reader does not know, and `self` holds the very
            // outputs the island is part of).
            V::Attrs(map) if self.is_flake_self(map) => self.whole(),
            V::Attrs(map) if self.is_flake_inputs(map) => {
                let f = self.whole();
                format!("({f}.inputs // {{ self = {f}; }})")
            }
            V::Attrs(map) => {
                let mut out = String::from("{");
                for (key, binding) in map.iter() {
                    out.push(' ');
                    out.push_str(&string(key));
                    out.push_str(" = (");
                    out.push_str(&self.thunk(&binding.thunk)?);
                    out.push_str(");");
                }
                out.push_str(" }");
                out
            }
            V::Lambda(closure) => {
                return self.expr(closure.lambda.syntax(), &closure.env, closure.file);
            }
            V::Builtin(b, args) => {
                let lib =
                    builtins::find(Namespace::Lib, b.name).is_some_and(|l| std::ptr::eq(l, *b));
                let mut out = if lib {
                    format!("({}).{}", self.lib(), quote_name(b.name))
                } else {
                    format!("builtins.{}", quote_name(b.name))
                };
                for a in args.iter() {
                    let a = self.thunk(a)?;
                    out = format!("({out} ({a}))");
                }
                out
            }
            V::Override {
                priority, content, ..
            } => format!(
                "{{ _type = \"override\"; priority = {}; content = ({}); }}",
                int(*priority),
                self.thunk(content)?
            ),
            V::Opaque(o) => {
                let key = (Rc::as_ptr(o) as *const () as usize, val.span);
                if let Some((expr, env, file)) = self.ev.islands.origin(key) {
                    return self.expr(expr.syntax(), &env, file);
                }
                let mut path: Vec<&str> = o.path.iter().map(|s| &**s).collect();
                while path.first() == Some(&"") {
                    path.remove(0);
                }
                let described = o.describe();
                if path.contains(&"(…)") || path.is_empty() {
                    return Err(format!(
                        "`{described}` is a value only Nix's module system knows"
                    ));
                }
                let (mut out, rest) = match path[0] {
                    "inputs" if path.get(1) == Some(&"self") => (self.whole(), &path[2..]),
                    "inputs" if path.len() >= 2 => {
                        self.uses.flake = true;
                        self.uses.inputs.insert(path[1].to_string());
                        (
                            format!("{FLAKE}.inputs.{}", quote_name(path[1])),
                            &path[2..],
                        )
                    }
                    "inputs" => {
                        let f = self.whole();
                        (format!("({f}.inputs // {{ self = {f}; }})"), &path[1..])
                    }
                    "self" => (self.whole(), &path[1..]),
                    "lib" => (format!("({})", self.lib()), &path[1..]),
                    name if is_global(name) => (name.to_string(), &path[1..]),
                    _ => {
                        return Err(format!(
                            "`{described}` is a value only Nix's module system knows"
                        ));
                    }
                };
                for name in rest {
                    out.push('.');
                    out.push_str(&quote_name(name));
                }
                for a in o.args.iter() {
                    let a = self.thunk(a)?;
                    out = format!("({out} ({a}))");
                }
                out
            }
        };
        self.grow(text)
    }

    fn whole(&mut self) -> String {
        self.uses.flake = true;
        self.uses.whole_flake = true;
        FLAKE.to_string()
    }

    /// nixpkgs' `lib`: the flake's own nixpkgs input, or `<nixpkgs/lib>` without one.
    fn lib(&mut self) -> String {
        self.uses.flake = true;
        self.uses.nix_path = true;
        self.uses.inputs.insert("nixpkgs".into());
        format!("{FLAKE}.inputs.nixpkgs.lib or (import <nixpkgs/lib>)")
    }
}

/// Names Nix resolves by itself at the top level.
pub fn is_global(name: &str) -> bool {
    matches!(name, "true" | "false" | "null" | "builtins")
        || GLOBAL_NAMES.contains(&name)
        || name.starts_with("__")
}

/// A Nix string literal.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An attribute name: bare when it is a plain identifier, quoted otherwise.
fn quote_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-'".contains(c))
        && !matches!(
            name,
            "if" | "then" | "else" | "assert" | "with" | "let" | "in" | "rec" | "inherit" | "or"
        );
    if plain {
        name.to_string()
    } else {
        string(name)
    }
}

fn int(i: i64) -> String {
    if i == i64::MIN {
        format!("({} - 1)", i + 1)
    } else if i < 0 {
        format!("({i})")
    } else {
        i.to_string()
    }
}

/// A float literal Nix reads back as the same number (Nix needs digits before an exponent).
fn float(f: f64) -> R {
    if !f.is_finite() {
        return Err("it uses a number that is infinite or not a number".into());
    }
    let mut s = format!("{:?}", f.abs());
    if let Some(e) = s.find('e')
        && !s[..e].contains('.')
    {
        s.insert_str(e, ".0");
    }
    Ok(if f.is_sign_negative() {
        format!("(-{s})")
    } else {
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(string("a\"b\\c${d}\n"), r#""a\"b\\c\${d}\n""#);
        assert_eq!(int(-3), "(-3)");
        assert_eq!(int(i64::MIN), "(-9223372036854775807 - 1)");
        assert_eq!(float(1e100).as_deref(), Ok("1.0e100"));
        assert_eq!(float(-0.5).as_deref(), Ok("(-0.5)"));
        assert_eq!(float(2.0).as_deref(), Ok("2.0"));
        assert!(float(f64::INFINITY).is_err());
        assert_eq!(quote_name("x-y"), "x-y");
        assert_eq!(quote_name("a.b"), "\"a.b\"");
        assert_eq!(quote_name("in"), "\"in\"");
    }
}
