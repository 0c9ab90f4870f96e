//! Settings keys against a local service module's statically declared interface.
//!
//! A `clan.service` role declares its settings as module options: `roles.<r>.interface =
//! { lib, ... }: { options.x = lib.mkOption { … }; }`, also through the interface's `imports`
//! of files in the flake. When every part of a role's interface can be read from the syntax
//! alone, a settings key it does not declare (`settings.mesage`) is an `unknown-key` error at
//! the key, with a suggestion, instead of a failure inside Nix at a generated file. Whatever is
//! not plainly declared — a freeform interface (`freeformType`), options computed by an
//! expression, imports that are not paths, a module that is not a file of the flake — leaves the
//! role unchecked: Nix decides. Only keys are checked, down to the first declared option (what
//! an option's `type` accepts is Nix's business).
//!
//! This reads the module files with rnix, without evaluating anything, so it cannot fail or
//! hang on any input; a file that cannot be read or parsed leaves its module unchecked (`read`
//! reports what matters about it).

use crate::diagnostics::{Diagnostic, FileId, Kind, SourceMap, Span, did_you_mean};
use crate::read::ModuleSource;
use crate::read::data::{Data, DataKind};
use crate::resolve::{Graph, ServiceRef};
use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Declared options: a name is either an option (at the span of its declaration) or a group of
/// further options.
#[derive(Clone, Debug, PartialEq)]
pub enum Declared {
    Option(Span),
    Group(BTreeMap<String, Declared>),
}

/// How deep imports are followed.
const MAX_DEPTH: usize = 16;

/// A syntactic attribute tree: the static attribute paths of an attribute set, dotted paths and
/// nested sets merged. `None` for a value that is not a literal attribute set.
#[derive(Clone, Debug)]
enum Node {
    Set(BTreeMap<String, (Span, Node)>),
    Leaf(Option<ast::Expr>),
}

/// Reads module files (inside the flake only) into the source map, once each.
struct Files<'a> {
    sources: &'a mut SourceMap,
    root: &'a Path,
    parsed: BTreeMap<PathBuf, Option<(FileId, ast::Expr)>>,
}

impl Files<'_> {
    fn parse(&mut self, path: &Path) -> Option<(FileId, ast::Expr)> {
        let path = if path.is_dir() {
            path.join("default.nix")
        } else {
            path.to_path_buf()
        };
        let real = path.canonicalize().ok()?;
        if let Some(done) = self.parsed.get(&real) {
            return done.clone();
        }
        let result = self.read(&real);
        self.parsed.insert(real, result.clone());
        result
    }

    fn read(&mut self, real: &Path) -> Option<(FileId, ast::Expr)> {
        if !real.starts_with(self.root) {
            return None;
        }
        let file = match self.sources.find(real) {
            Some(file) => file,
            None => {
                let meta = std::fs::metadata(real).ok()?;
                if !meta.is_file() || meta.len() > crate::read::eval::MAX_FILE_BYTES {
                    return None;
                }
                let text = std::fs::read_to_string(real).ok()?;
                let display = real
                    .strip_prefix(self.root)
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_else(|_| real.display().to_string());
                self.sources.add(display, real.to_path_buf(), text)
            }
        };
        // Shapes rnix would take minutes over are refused first, as `read` does.
        crate::read::nesting::check(self.sources.text(file), file).ok()?;
        let parse = rnix::Root::parse(self.sources.text(file));
        if !parse.errors().is_empty() {
            return None;
        }
        Some((file, parse.tree().expr()?))
    }
}

/// Strips what does not change which attributes a module defines: parentheses, the module's
/// function head, `let … in`.
fn unwrap(mut expr: ast::Expr) -> ast::Expr {
    for _ in 0..64 {
        expr = match &expr {
            ast::Expr::Paren(p) => match p.expr() {
                Some(e) => e,
                None => return expr,
            },
            ast::Expr::Lambda(l) => match l.body() {
                Some(e) => e,
                None => return expr,
            },
            ast::Expr::LetIn(l) => match l.body() {
                Some(e) => e,
                None => return expr,
            },
            _ => return expr,
        };
    }
    expr
}

fn attr_name(attr: &ast::Attr) -> Option<String> {
    match attr {
        ast::Attr::Ident(i) => Some(i.syntax().text().to_string()),
        ast::Attr::Str(s) => {
            let mut out = String::new();
            for part in s.normalized_parts() {
                match part {
                    ast::InterpolPart::Literal(text) => out.push_str(&text),
                    ast::InterpolPart::Interpolation(_) => return None,
                }
            }
            Some(out)
        }
        ast::Attr::Dynamic(_) => None,
    }
}

/// The attribute tree of a literal attribute set; `None` for anything else, or a set with a
/// dynamic attribute (which could be any name).
fn tree(expr: &ast::Expr, file: FileId) -> Option<BTreeMap<String, (Span, Node)>> {
    let ast::Expr::AttrSet(set) = unwrap(expr.clone()) else {
        return None;
    };
    let mut out: BTreeMap<String, (Span, Node)> = BTreeMap::new();
    for entry in set.entries() {
        match entry {
            ast::Entry::Inherit(inherit) => {
                for attr in inherit.attrs() {
                    let name = attr_name(&attr)?;
                    let span = Span::new(file, attr.syntax().text_range());
                    out.insert(name, (span, Node::Leaf(None)));
                }
            }
            ast::Entry::AttrpathValue(apv) => {
                let path: Vec<(String, Span)> = apv
                    .attrpath()?
                    .attrs()
                    .map(|a| Some((attr_name(&a)?, Span::new(file, a.syntax().text_range()))))
                    .collect::<Option<_>>()?;
                let value = apv.value()?;
                let node = match tree(&value, file) {
                    Some(set) if matches!(unwrap(value.clone()), ast::Expr::AttrSet(_)) => {
                        Node::Set(set)
                    }
                    _ => Node::Leaf(Some(value)),
                };
                insert(&mut out, &path, node);
            }
        }
    }
    Some(out)
}

fn insert(into: &mut BTreeMap<String, (Span, Node)>, path: &[(String, Span)], node: Node) {
    let Some(((name, span), rest)) = path.split_first() else {
        return;
    };
    let slot = into
        .entry(name.clone())
        .or_insert_with(|| (*span, Node::Set(BTreeMap::new())));
    if rest.is_empty() {
        match (&mut slot.1, node) {
            (Node::Set(existing), Node::Set(new)) => merge(existing, new),
            (current, node) => *current = node,
        }
        return;
    }
    match &mut slot.1 {
        Node::Set(inner) => insert(inner, rest, node),
        // `a = <expr>; a.b = …;` is an error in Nix anyway; keep the expression.
        Node::Leaf(_) => {}
    }
}

fn merge(into: &mut BTreeMap<String, (Span, Node)>, from: BTreeMap<String, (Span, Node)>) {
    for (name, (span, node)) in from {
        insert(into, &[(name, span)], node);
    }
}

/// The file a path expression names, relative to the file it is written in.
fn path_of(expr: &ast::Expr, sources: &SourceMap, file: FileId) -> Option<PathBuf> {
    let ast::Expr::PathRel(p) = unwrap(expr.clone()) else {
        return None;
    };
    let text = p.syntax().text().to_string();
    if text.contains("${") {
        return None;
    }
    let base = sources.path(file).parent()?;
    Some(crate::read::eval::normalize(&base.join(text)))
}

/// `lib.mkOption { … }`, `mkEnableOption "…"`, `lib.mkPackageOption pkgs "x" { }`.
fn declares_option(expr: &ast::Expr) -> bool {
    let mut head = unwrap(expr.clone());
    for _ in 0..16 {
        head = match &head {
            ast::Expr::Apply(a) => match a.lambda() {
                Some(f) => unwrap(f),
                None => return false,
            },
            _ => break,
        };
    }
    let name = match &head {
        ast::Expr::Ident(i) => i.syntax().text().to_string(),
        ast::Expr::Select(s) => match s.attrpath().and_then(|p| p.attrs().last()) {
            Some(attr) => attr_name(&attr).unwrap_or_default(),
            None => return false,
        },
        _ => return false,
    };
    matches!(
        name.as_str(),
        "mkOption" | "mkEnableOption" | "mkPackageOption"
    )
}

/// The options an `options` tree declares; `None` when one of them is not plainly declared.
fn declared(node: &Node) -> Option<Declared> {
    match node {
        Node::Set(map) => {
            let mut group = BTreeMap::new();
            for (name, (span, child)) in map {
                let d = match child {
                    Node::Leaf(Some(expr)) if declares_option(expr) => Declared::Option(*span),
                    Node::Leaf(_) => return None,
                    set => declared(set)?,
                };
                group.insert(name.clone(), d);
            }
            Some(Declared::Group(group))
        }
        Node::Leaf(_) => None,
    }
}

fn merge_declared(into: &mut BTreeMap<String, Declared>, from: BTreeMap<String, Declared>) {
    for (name, d) in from {
        match (into.get_mut(&name), d) {
            (Some(Declared::Group(a)), Declared::Group(b)) => merge_declared(a, b),
            (Some(_), _) => {}
            (None, d) => {
                into.insert(name, d);
            }
        }
    }
}

/// The options an interface module declares (its `imports` too); `None` when freeform or not
/// static.
fn interface(
    files: &mut Files,
    node: &Node,
    file: FileId,
    depth: usize,
) -> Option<BTreeMap<String, Declared>> {
    if depth > MAX_DEPTH {
        return None;
    }
    let map = match node {
        Node::Set(map) => map.clone(),
        Node::Leaf(Some(expr)) => match path_of(expr, files.sources, file) {
            Some(path) => {
                let (file, expr) = files.parse(&path)?;
                return interface(files, &Node::Set(tree(&expr, file)?), file, depth + 1);
            }
            None => tree(expr, file)?,
        },
        Node::Leaf(None) => return None,
    };
    let config_freeform =
        matches!(map.get("config"), Some((_, Node::Set(c))) if c.contains_key("freeformType"));
    if map.contains_key("freeformType") || config_freeform {
        return None;
    }
    let mut options = match map.get("options") {
        Some((_, node)) => match declared(node)? {
            Declared::Group(group) => group,
            Declared::Option(_) => return None,
        },
        None => BTreeMap::new(),
    };
    if let Some((_, imports)) = map.get("imports") {
        let Node::Leaf(Some(ast::Expr::List(list))) = imports else {
            return None;
        };
        for item in list.items() {
            let path = path_of(&item, files.sources, file)?;
            let (file, expr) = files.parse(&path)?;
            let imported = interface(files, &Node::Set(tree(&expr, file)?), file, depth + 1)?;
            merge_declared(&mut options, imported);
        }
    }
    Some(options)
}

/// What the definitions of a role say about its interface.
#[derive(Clone, Debug)]
enum Interface {
    /// No definition declares one.
    Absent,
    Static(BTreeMap<String, Declared>),
    /// One cannot be read statically (or is freeform): Nix decides.
    Unknown,
}

/// What a module file says about each role: its key's span and its interface.
type Roles = BTreeMap<String, (Span, Interface)>;

/// The roles of a module file and of the files it imports.
fn module_roles(files: &mut Files, path: &Path, roles: &mut Roles, depth: usize) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (file, expr) = files.parse(path)?;
    let top = tree(&expr, file)?;
    if let Some((_, node)) = top.get("roles") {
        let role_map = match node {
            Node::Set(map) => map.clone(),
            Node::Leaf(Some(expr)) => tree(expr, file)?,
            Node::Leaf(None) => return None,
        };
        for (name, (span, role)) in role_map {
            let role = match role {
                Node::Set(map) => map,
                Node::Leaf(Some(expr)) => tree(&expr, file)?,
                Node::Leaf(None) => return None,
            };
            // A definition without `interface` adds nothing; one whose interface cannot be
            // read leaves the role unchecked; a role is checked when some definition declares
            // its interface and every one that does is static.
            let state = match role.get("interface") {
                None => Interface::Absent,
                Some((_, node)) => match interface(files, node, file, depth + 1) {
                    Some(options) => Interface::Static(options),
                    None => Interface::Unknown,
                },
            };
            let slot = roles.entry(name).or_insert((span, Interface::Absent));
            slot.1 = match (std::mem::replace(&mut slot.1, Interface::Unknown), state) {
                (Interface::Unknown, _) | (_, Interface::Unknown) => Interface::Unknown,
                (Interface::Static(mut a), Interface::Static(b)) => {
                    merge_declared(&mut a, b);
                    Interface::Static(a)
                }
                (Interface::Absent, other) | (other, Interface::Absent) => other,
            };
        }
    }
    if let Some((_, imports)) = top.get("imports") {
        let Node::Leaf(Some(ast::Expr::List(list))) = imports else {
            return None;
        };
        for item in list.items() {
            let path = path_of(&item, files.sources, file)?;
            module_roles(files, &path, roles, depth + 1)?;
        }
    }
    Some(())
}

/// Checks every settings key of the instances of local modules against their roles' static
/// interfaces; adds the files read to `sources`.
pub fn check(graph: &Graph, sources: &mut SourceMap, root: &Path) -> Vec<Diagnostic> {
    let mut files = Files {
        sources,
        root,
        parsed: BTreeMap::new(),
    };
    let mut modules: BTreeMap<PathBuf, Option<Roles>> = BTreeMap::new();
    let mut diagnostics = Vec::new();
    let mut seen = BTreeSet::new();
    for instance in graph.instances.values() {
        let ServiceRef::Local {
            name: module,
            source: ModuleSource::Path(path),
        } = &instance.service
        else {
            continue;
        };
        let roles = modules
            .entry(path.clone())
            .or_insert_with(|| {
                let mut roles = Roles::new();
                module_roles(&mut files, path, &mut roles, 0).map(|_| roles)
            })
            .clone();
        let Some(roles) = roles else {
            continue;
        };
        for (rname, role) in &instance.roles {
            let Some((role_span, Interface::Static(options))) = roles.get(rname) else {
                continue;
            };
            let mut layers: Vec<&Data> = role.settings.iter().collect();
            layers.extend(role.tag_settings.values());
            layers.extend(role.members.values().filter_map(|m| m.settings.as_ref()));
            for data in layers {
                let context = Context {
                    module,
                    role: rname,
                    role_span: *role_span,
                };
                check_data(data, options, &context, &mut Vec::new(), &mut |d| {
                    if seen.insert(d.span) {
                        diagnostics.push(d);
                    }
                });
            }
        }
    }
    diagnostics
}

struct Context<'a> {
    module: &'a str,
    role: &'a str,
    role_span: Span,
}

fn check_data(
    data: &Data,
    options: &BTreeMap<String, Declared>,
    context: &Context,
    path: &mut Vec<String>,
    report: &mut dyn FnMut(Diagnostic),
) {
    let entries = match &data.kind {
        DataKind::Attrs(entries) => entries,
        DataKind::Override { content, .. } => {
            return check_data(content, options, context, path, report);
        }
        _ => return,
    };
    for (key, entry) in entries {
        match options.get(key) {
            Some(Declared::Option(_)) => {}
            Some(Declared::Group(inner)) => {
                path.push(key.clone());
                check_data(&entry.value, inner, context, path, report);
                path.pop();
            }
            None => {
                let mut dotted: Vec<&str> = path.iter().map(String::as_str).collect();
                dotted.push(key);
                let names: Vec<&str> = options.keys().map(String::as_str).collect();
                let hint = did_you_mean(key, "declared options", &names).unwrap_or_else(|| {
                    "this part of the interface declares no options".to_string()
                });
                report(
                    Diagnostic::at(
                        Kind::UnknownKey,
                        entry.key_span,
                        format!(
                            "role `{}` of service module `{}` declares no option `settings.{}`",
                            context.role,
                            context.module,
                            dotted
                                .iter()
                                .map(|k| crate::emit::nix::attr_name(k))
                                .collect::<Vec<_>>()
                                .join(".")
                        ),
                    )
                    .with_label("unknown setting")
                    .with_note(context.role_span, "role defined here")
                    .with_hint(hint),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The static interface of each role of `svc.nix` among `files` (name, text), as option
    /// names (groups as `a.b`); `None` for a role left to Nix.
    fn roles_of(files: &[(&str, &str)]) -> BTreeMap<String, Option<Vec<String>>> {
        let temp = tempfile::tempdir().expect("tempdir");
        let root = temp.path().canonicalize().expect("canonical");
        for (name, text) in files {
            std::fs::write(root.join(name), text).expect("write");
        }
        let mut sources = SourceMap::default();
        let mut files = Files {
            sources: &mut sources,
            root: &root,
            parsed: BTreeMap::new(),
        };
        let mut roles = Roles::new();
        if module_roles(&mut files, &root.join("svc.nix"), &mut roles, 0).is_none() {
            return BTreeMap::new();
        }
        fn names(prefix: &str, map: &BTreeMap<String, Declared>, out: &mut Vec<String>) {
            for (k, d) in map {
                match d {
                    Declared::Option(_) => out.push(format!("{prefix}{k}")),
                    Declared::Group(g) => names(&format!("{prefix}{k}."), g, out),
                }
            }
        }
        roles
            .into_iter()
            .map(|(name, (_, state))| {
                let options = match state {
                    Interface::Static(map) => {
                        let mut out = Vec::new();
                        names("", &map, &mut out);
                        Some(out)
                    }
                    Interface::Absent | Interface::Unknown => None,
                };
                (name, options)
            })
            .collect()
    }

    fn some(names: &[&str]) -> Option<Vec<String>> {
        Some(names.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn dotted_nested_and_imported_declarations() {
        let roles = roles_of(&[
            (
                "svc.nix",
                "{ ... }: {\n  roles.a.interface.options.port = lib.mkOption { };\n  roles.b = { interface = ./iface.nix; };\n  roles.c.interface = { lib, ... }: { options = { x.y = lib.mkEnableOption \"y\"; z = mkOption { }; }; };\n  imports = [ ./more.nix ];\n}\n",
            ),
            (
                "iface.nix",
                "{ lib, ... }: { imports = [ ./base.nix ]; options.host = lib.mkOption { }; }\n",
            ),
            (
                "base.nix",
                "{ lib, ... }: { options.user = lib.mkOption { }; }\n",
            ),
            (
                "more.nix",
                "{ ... }: { roles.a.interface = { lib, ... }: { options.extra = lib.mkPackageOption pkgs \"x\" { }; }; roles.d.description = \"none\"; }\n",
            ),
        ]);
        assert_eq!(roles["a"], some(&["extra", "port"]));
        assert_eq!(roles["b"], some(&["host", "user"]));
        assert_eq!(roles["c"], some(&["x.y", "z"]));
        // No interface anywhere: not checked.
        assert_eq!(roles["d"], None);
    }

    #[test]
    fn freeform_and_computed_interfaces_are_left_to_nix() {
        let roles = roles_of(&[(
            "svc.nix",
            "{ ... }: {\n  roles.free.interface = { lib, ... }: { freeformType = lib.types.attrs; options.x = lib.mkOption { }; };\n  roles.conf.interface = { lib, ... }: { config.freeformType = lib.types.attrs; };\n  roles.computed.interface = { lib, ... }: { options = lib.genAttrs [ \"x\" ] (_: lib.mkOption { }); };\n  roles.value.interface = { lib, ... }: { options.x = someOption; };\n  roles.dynamic.interface = { lib, ... }: { options.${name} = lib.mkOption { }; };\n  roles.outside.interface = { imports = [ ../elsewhere.nix ]; };\n}\n",
        )]);
        for role in ["free", "conf", "computed", "value", "dynamic", "outside"] {
            assert_eq!(roles[role], None, "{role}");
        }
    }

    #[test]
    fn unparsable_or_missing_modules_are_not_checked() {
        assert!(roles_of(&[("svc.nix", "{ roles.a = ")]).is_empty());
        assert!(roles_of(&[("other.nix", "{ }")]).is_empty());
    }
}
