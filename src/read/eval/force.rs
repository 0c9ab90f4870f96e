//! Forcing values into data: the inventory is read as plain data (with spans) once evaluated;
//! modules in `extraModules` that are closed expressions are kept as source text, and unknown
//! values under `settings` that Nix can compute where the generated files bind `inputs`, `self`
//! and `lib` are kept as code (see [`Carry`]). Nothing membership needs is ever carried: only
//! those two keys switch carrying on, and they hold no membership.

use super::errors::{err, not_static};
use super::value::*;
use super::{DATA_BYTES, Evaluator, MAX_DEPTH};
use crate::diagnostics::{Diagnostic, FileId, Kind, Span};
use crate::read::data::{Data, DataKind, Entry};
use rnix::ast;
use rowan::ast::AstNode;
use std::collections::BTreeMap;
use std::rc::Rc;

impl Thunk {
    /// The code behind this thunk while it has not been evaluated.
    pub(crate) fn unevaluated(&self) -> Option<(ast::Expr, Env, FileId)> {
        match &*self.0.borrow() {
            ThunkState::Code { expr, env, file } => Some((expr.clone(), env.clone(), *file)),
            _ => None,
        }
    }
}

/// What of a value may be carried into the generated files as Nix code instead of data.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Carry {
    /// Nothing: the value is data (membership, and everything outside the two keys below).
    Nothing,
    /// Modules (`extraModules` entries): whole closed expressions, functions included, and
    /// unknown values as the code that made them.
    Modules,
    /// Settings: data as far as it is known; an unknown value reached from `inputs`, `self` or
    /// `lib` (or computed from them by code that binds nothing else) is carried as that code,
    /// before any island, since Nix computes it where the settings are used.
    Unknowns,
}

impl Carry {
    /// The mode of the value under `key` of an attribute set forced in this mode.
    fn below(self, key: &str) -> Carry {
        match (self, key) {
            (Carry::Unknowns, _) => Carry::Unknowns,
            (_, "extraModules") => Carry::Modules,
            (_, "settings") => Carry::Unknowns,
            _ => Carry::Nothing,
        }
    }
}

impl Evaluator {
    /// Forces a value completely into data. `extraModules` entries may be closed expressions,
    /// which are kept as source text (`verbatim_ok`: the value itself is one); unknown values
    /// under `settings` may be carried as code.
    pub fn force_data(&mut self, thunk: &Thunk, verbatim_ok: bool) -> Result<Data, Diagnostic> {
        let mode = if verbatim_ok {
            Carry::Modules
        } else {
            Carry::Nothing
        };
        self.force_carried(thunk, mode)
    }

    /// [`Evaluator::force_data`] in a given carrying mode.
    pub fn force_carried(&mut self, thunk: &Thunk, mode: Carry) -> Result<Data, Diagnostic> {
        if self.depth >= MAX_DEPTH {
            let span = thunk.span().unwrap_or(Span {
                file: FileId(0),
                start: 0,
                end: 0,
            });
            return Err(err(Kind::NotStatic, span, "the value is nested too deeply"));
        }
        self.depth += 1;
        let result = self.force_data_inner(thunk, mode);
        self.depth -= 1;
        result
    }

    pub(crate) fn force_data_inner(
        &mut self,
        thunk: &Thunk,
        mode: Carry,
    ) -> Result<Data, Diagnostic> {
        let verbatim_ok = mode == Carry::Modules;
        // Where a value may be carried as code, keep the code before it is evaluated.
        let code = if mode == Carry::Nothing {
            None
        } else {
            thunk.unevaluated()
        };
        let val = self.force(thunk)?;
        let span = val.span;
        // Data is a tree: a value shared many times is expanded here, so each node is charged.
        self.charge(DATA_BYTES, span)?;
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
            // A string holding a path of the flake (`"${self}/x"`, `self + "/x"`) is that path,
            // as the store path of the flake's source is in Nix: never a machine's path.
            V::Str(s) if s.starts_with('/') && self.is_flake_path(s) => {
                DataKind::Path(super::files::normalize(std::path::Path::new(&**s)))
            }
            V::Str(s) => DataKind::Str(s.to_string()),
            V::Path(p) if !p.starts_with(&self.root) => {
                return Err(err(
                    Kind::BadImport,
                    span,
                    format!("the absolute path `{}` is outside the flake", p.display()),
                )
                .with_hint("use a path relative to this file, inside the flake"));
            }
            V::Path(p) => DataKind::Path(p.to_path_buf()),
            V::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    out.push(self.force_carried(item, mode)?);
                }
                DataKind::List(out)
            }
            V::Attrs(map) => {
                if verbatim_ok && let Some(text) = self.closed_source(span) {
                    DataKind::Verbatim(text)
                } else if verbatim_ok
                    && !is_inline(&code, span)
                    && let Some(text) = code.as_ref().and_then(|c| self.carry(c))
                {
                    DataKind::Verbatim(text)
                } else {
                    let mut out = BTreeMap::new();
                    for (key, binding) in map.iter() {
                        let value = self.force_carried(&binding.thunk, mode.below(key))?;
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
                content: Box::new(self.force_carried(content, mode)?),
            },
            V::Lambda(_) if verbatim_ok => match self
                .closed_source(span)
                .or_else(|| code.as_ref().and_then(|c| self.carry(c)))
            {
                Some(text) => DataKind::Verbatim(text),
                None => {
                    let what = match self.outside_names(span) {
                        names if names.is_empty() => {
                            "this module refers to relative paths or a `with` from its surroundings"
                                .to_string()
                        }
                        names => format!(
                            "this module uses {} from its surroundings: copied into the generated files, it would not parse",
                            names
                                .iter()
                                .map(|n| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    return Err(err(Kind::NotStatic, span, what).with_hint(
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
            V::Opaque(o) => match render_opaque(o).filter(|_| mode != Carry::Nothing) {
                // A module of a flake input (`inputs.home-manager.nixosModules.default`,
                // `self.nixosModules.x`), or such a value in settings
                // (`self.packages.x86_64-linux.hello`): carried as code, `inputs` is bound there.
                Some(text) => DataKind::Verbatim(text),
                // A setting or module Nix computes from the inputs (`inputs.x.lib.mkPeers { … }`,
                // `"${self.packages.x86_64-linux.hello}/bin/hello"`): its code, carried as it
                // is written, before any island (islands are for what membership needs).
                None if mode != Carry::Nothing && code.is_some() => {
                    match code.as_ref().and_then(|c| self.carry(c)) {
                        Some(text) => DataKind::Verbatim(text),
                        None => return self.unknown_data(&val, o, verbatim_ok),
                    }
                }
                // Needed as data and unknown: an island for the user's Nix, if islands are on
                // (never for modules, which are code, not data).
                None => return self.unknown_data(&val, o, verbatim_ok),
            },
        };
        Ok(Data { kind, span })
    }

    /// An unknown value needed as data: an island for the user's Nix, if islands are on (never
    /// for modules, which are code, not data), or a `not-static` error.
    fn unknown_data(&mut self, val: &Val, o: &Opaque, module: bool) -> Result<Data, Diagnostic> {
        let island = if module { None } else { self.island_data(val) };
        island.unwrap_or_else(|| Err(not_static(val.span, &format!("`{}`", o.describe()))))
    }

    /// The source text at `span` if it is a closed expression: no free variables besides
    /// Nix's global names, no `with`, no relative or search paths.
    pub(crate) fn closed_source(&self, span: Span) -> Option<String> {
        let text = &self.sources.text(span.file)[span.start as usize..span.end as usize];
        let parse = rnix::Root::parse(text);
        if !parse.errors().is_empty() {
            return None;
        }
        let expr = parse.tree().expr()?;
        is_closed(expr.syntax(), &mut Vec::new()).then(|| text.to_string())
    }
}

impl Evaluator {
    /// Whether `s` names the flake's directory or a path below it.
    fn is_flake_path(&self, s: &str) -> bool {
        let path = std::path::Path::new(s);
        path.starts_with(&self.root) && !s.contains("/../") && !s.ends_with("/..")
    }

    /// The variables the expression at `span` uses but does not bind (Nix's global names
    /// excepted).
    pub(crate) fn outside_names(&self, span: Span) -> Vec<String> {
        let text = &self.sources.text(span.file)[span.start as usize..span.end as usize];
        let parse = rnix::Root::parse(text);
        let Some(expr) = parse.tree().expr() else {
            return Vec::new();
        };
        let (mut free, mut opaque) = (Vec::new(), false);
        free_variables(expr.syntax(), &mut Vec::new(), &mut free, &mut opaque);
        free.retain(|n| !super::builtins::GLOBAL_NAMES.contains(&n.as_str()) && n != "builtins");
        free
    }
}

impl Evaluator {
    /// The code of an expression that is not closed, carried into the generated files: its
    /// free variables must be flake inputs, `self` or `lib` (bound there, as `inputs` and
    /// `lib`), and its relative paths are kept as paths of the flake (see `PATH_HOLE`).
    /// `None` when it cannot be carried (`with`, search paths, a variable bound to anything
    /// else).
    pub(crate) fn carry(&mut self, code: &(ast::Expr, Env, FileId)) -> Option<String> {
        use rnix::SyntaxKind as K;
        let (expr, env, file) = code;
        let node = expr.syntax();
        let mut paths = Vec::new();
        for d in node.descendants() {
            match d.kind() {
                K::NODE_WITH | K::NODE_PATH_HOME | K::NODE_PATH_SEARCH => return None,
                // A path with interpolation (`./${x}`) is not a path of the flake yet.
                K::NODE_PATH_REL if d.children().next().is_some() => return None,
                K::NODE_PATH_REL => paths.push(d),
                _ => {}
            }
        }
        let (mut free, mut opaque) = (Vec::new(), false);
        free_variables(node, &mut Vec::new(), &mut free, &mut opaque);
        let span = Span::new(*file, node.text_range());
        let mut params = Vec::new();
        for name in free {
            if super::builtins::GLOBAL_NAMES.contains(&name.as_str()) || name == "builtins" {
                continue;
            }
            let value = self.lookup(&name, env, span).ok()?;
            let rendered = match &value.v {
                V::Opaque(o) => render_opaque(o)?,
                // The flake's own inputs and `self`, as discovery built them.
                V::Attrs(m) => match &self.flake_self {
                    Some((inputs, _)) if Rc::ptr_eq(inputs, m) => "inputs".to_string(),
                    Some((_, me)) if Rc::ptr_eq(me, m) => "inputs.self".to_string(),
                    _ => return None,
                },
                _ => return None,
            };
            if rendered != name {
                params.push((name, rendered));
            }
        }
        let base = usize::from(node.text_range().start());
        let mut text = node.text().to_string();
        let dir = self.sources.path(*file).parent()?.to_path_buf();
        for p in paths.iter().rev() {
            let range = p.text_range();
            let (start, end) = (
                usize::from(range.start()) - base,
                usize::from(range.end()) - base,
            );
            let target = super::files::normalize(&dir.join(&text[start..end]));
            if !target.starts_with(&self.root) {
                return None;
            }
            let hole = format!(
                "{h}{}{h}",
                target.display(),
                h = crate::read::data::PATH_HOLE
            );
            text.replace_range(start..end, &hole);
        }
        if params.is_empty() {
            return Some(text);
        }
        // Bound through a function, not a `let`: `let self = inputs.self;` is fine, but
        // `let inputs = inputs.self.inputs;` would refer to itself.
        let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
        let values: Vec<String> = params.iter().map(|(n, v)| format!("{n} = {v};")).collect();
        Some(format!(
            "(({{ {} }}: {text}) {{ {} }})",
            names.join(", "),
            values.join(" ")
        ))
    }
}

/// Whether the code is the expression that made the value itself (an inline module, which
/// `closed_source` already judged), rather than an expression that computes it elsewhere
/// (`import ./x { … }`).
fn is_inline(code: &Option<(ast::Expr, Env, FileId)>, span: Span) -> bool {
    code.as_ref()
        .is_some_and(|(e, _, f)| Span::new(*f, e.syntax().text_range()) == span)
}

/// The code that names an unknown value reached from the flake's inputs, `self` or `lib`
/// (`inputs.home-manager.nixosModules.default`; `self.x` is `inputs.self.x`), as the generated
/// files bind them. `None` for anything else: module arguments such as `config` or `pkgs`, or
/// the result of calling an unknown function.
pub(crate) fn render_opaque(o: &Opaque) -> Option<String> {
    if !o.args.is_empty() || o.derived {
        return None;
    }
    // Module arguments are reached through an unnamed root (`{ inputs, ... }:`).
    let path: Vec<&str> = o
        .path
        .iter()
        .map(|s| &**s)
        .skip_while(|s| s.is_empty())
        .collect();
    let (first, rest) = path.split_first()?;
    let mut out = match *first {
        "inputs" | "lib" => first.to_string(),
        "self" => "inputs.self".to_string(),
        _ => return None,
    };
    for name in rest {
        if name.is_empty() || *name == "(…)" || name.starts_with('<') {
            return None;
        }
        out.push('.');
        out.push_str(&crate::emit::nix::attr_name(name));
    }
    Some(out)
}

/// Whether the carried code `text` uses the variable `name` without binding it.
pub fn uses_name(text: &str, name: &str) -> bool {
    // Path holes are not Nix: any path stands for them here.
    let text = crate::read::data::fill_path_holes(text, |_| "./x".to_string());
    let parse = rnix::Root::parse(&text);
    let Some(expr) = parse.tree().expr() else {
        return false;
    };
    let (mut free, mut opaque) = (Vec::new(), false);
    free_variables(expr.syntax(), &mut Vec::new(), &mut free, &mut opaque);
    free.iter().any(|n| n == name)
}

/// Whether `node` is closed: every variable it uses is bound inside it (or is one of Nix's
/// global names), and it has no `with` and no relative, home or search path.
pub(crate) fn is_closed(node: &rnix::SyntaxNode, bound: &mut Vec<String>) -> bool {
    let mut free = Vec::new();
    let mut opaque = false;
    free_variables(node, bound, &mut free, &mut opaque);
    !opaque
        && free
            .iter()
            .all(|n| super::builtins::GLOBAL_NAMES.contains(&n.as_str()) || n == "builtins")
}

/// Collects the free variables of `node` (names used but not bound inside it, given `bound`)
/// into `free`; sets `opaque` when the expression depends on its surroundings in a way
/// variables do not describe (`with`, relative, home and search paths).
///
/// Every place a name is bound is handled: lambda parameters and patterns (whose defaults
/// see the whole pattern), `let`, `rec { }` and their `inherit`s. Every other identifier in
/// an expression position is a use — the defaults of a pattern included.
pub(crate) fn free_variables(
    node: &rnix::SyntaxNode,
    bound: &mut Vec<String>,
    free: &mut Vec<String>,
    opaque: &mut bool,
) {
    use rnix::SyntaxKind as K;
    match node.kind() {
        K::NODE_WITH | K::NODE_PATH_REL | K::NODE_PATH_HOME | K::NODE_PATH_SEARCH => {
            *opaque = true;
        }
        K::NODE_IDENT => {
            let name = node.text().to_string();
            if !matches!(name.as_str(), "true" | "false" | "null")
                && !bound.contains(&name)
                && !free.contains(&name)
            {
                free.push(name);
            }
        }
        // Attribute names are not variables; dynamic ones (`${e}`) and string parts are.
        K::NODE_ATTRPATH => {
            for c in node.children() {
                if c.kind() != K::NODE_IDENT {
                    free_variables(&c, bound, free, opaque);
                }
            }
        }
        K::NODE_LAMBDA => {
            let before = bound.len();
            let mut defaults = Vec::new();
            let mut body = Vec::new();
            for c in node.children() {
                match c.kind() {
                    K::NODE_IDENT_PARAM => {
                        if let Some(i) = c.children().find(|i| i.kind() == K::NODE_IDENT) {
                            bound.push(i.text().to_string());
                        }
                    }
                    K::NODE_PATTERN => {
                        for e in c.children() {
                            match e.kind() {
                                K::NODE_PAT_ENTRY => {
                                    let mut parts = e.children();
                                    if let Some(name) = parts.next() {
                                        bound.push(name.text().to_string());
                                    }
                                    defaults.extend(parts);
                                }
                                K::NODE_PAT_BIND => {
                                    if let Some(i) =
                                        e.children().find(|i| i.kind() == K::NODE_IDENT)
                                    {
                                        bound.push(i.text().to_string());
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => body.push(c),
                }
            }
            for c in defaults.iter().chain(&body) {
                free_variables(c, bound, free, opaque);
            }
            bound.truncate(before);
        }
        K::NODE_LET_IN | K::NODE_ATTR_SET => {
            let before = bound.len();
            let recursive = node.kind() == K::NODE_LET_IN
                || ast::AttrSet::cast(node.clone()).is_some_and(|s| s.rec_token().is_some());
            if recursive {
                bound.extend(recursive_names(node));
            }
            for c in node.children() {
                if c.kind() == K::NODE_INHERIT {
                    let from = c.children().find(|i| i.kind() == K::NODE_INHERIT_FROM);
                    match from {
                        // `inherit (e) a;`: only `e` is an expression.
                        Some(from) => free_variables(&from, bound, free, opaque),
                        // `inherit a;` reads `a` from the enclosing scope, even in `rec`.
                        None => {
                            let inner = bound.split_off(before);
                            for i in c.children().filter(|i| i.kind() == K::NODE_IDENT) {
                                free_variables(&i, bound, free, opaque);
                            }
                            bound.extend(inner);
                        }
                    }
                } else {
                    free_variables(&c, bound, free, opaque);
                }
            }
            bound.truncate(before);
        }
        _ => {
            for c in node.children() {
                free_variables(&c, bound, free, opaque);
            }
        }
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

/// The names a `let` or `rec { }` binds for its own bindings: the first name of each binding
/// (`a` of `a.b = …`) and every inherited name.
pub(crate) fn recursive_names(node: &rnix::SyntaxNode) -> Vec<String> {
    use rnix::SyntaxKind as K;
    let mut names = Vec::new();
    for child in node.children() {
        if child.kind() == K::NODE_ATTRPATH_VALUE
            && let Some(first) = child
                .children()
                .find(|c| c.kind() == K::NODE_ATTRPATH)
                .and_then(|p| p.children().next())
            && first.kind() == K::NODE_IDENT
        {
            names.push(first.text().to_string());
        }
        if child.kind() == K::NODE_INHERIT {
            for i in child.children().filter(|c| c.kind() == K::NODE_IDENT) {
                names.push(i.text().to_string());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free(src: &str) -> (Vec<String>, bool) {
        let parse = rnix::Root::parse(src);
        assert!(parse.errors().is_empty(), "{src}");
        let expr = parse.tree().expr().expect("expression");
        let (mut free, mut opaque) = (Vec::new(), false);
        free_variables(expr.syntax(), &mut Vec::new(), &mut free, &mut opaque);
        (free, opaque)
    }

    #[test]
    fn free_variables_are_found_everywhere() {
        let cases: &[(&str, &[&str], bool)] = &[
            (
                "{ greeting ? defaultGreeting, ... }: greeting",
                &["defaultGreeting"],
                false,
            ),
            ("{ a ? b, b ? 1 }: a", &[], false),
            ("{ a ? x.y or z }: a", &["x", "z"], false),
            ("args@{ a ? args.b, ... }: a", &[], false),
            ("x: { y = x; }", &[], false),
            ("{ a = b; }", &["b"], false),
            ("rec { a = b; b = 1; }", &[], false),
            ("let inherit a; in a", &["a"], false),
            ("let a = 1; in rec { inherit a; }", &[], false),
            ("let x = 1; in { inherit (y) z; w = x; }", &["y"], false),
            ("{ \"${k}\" = 1; }", &["k"], false),
            ("{ a.${k}.b = 1; }", &["k"], false),
            ("s: \"${s}-${t}\"", &["t"], false),
            ("x: x ? ${k}", &["k"], false),
            ("map (x: x) [ ]", &["map"], false),
            ("with lib; a", &[], true),
            ("./x.nix", &[], true),
            ("<nixpkgs>", &[], true),
            ("{ config, ... }: { a = config.b; }", &[], false),
            ("let f = { a ? g }: a; g = 1; in f { }", &[], false),
        ];
        for (src, want, opaque) in cases {
            let (got, o) = free(src);
            assert_eq!(got, *want, "{src}");
            assert_eq!(o, *opaque, "{src}");
        }
    }
}
