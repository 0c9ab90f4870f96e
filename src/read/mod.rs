//! The `read` stage: finds the inventory in a flake and turns it into one spanned data tree,
//! plus the service modules it names (with the roles each defines), the legacy clanModule
//! directories of `inventory.modules` (with the roles their `roles/*.nix` files define) and the
//! flake's inputs.
//!
//! This and `write` are the only stages that touch the file system. Nothing outside the flake
//! directory is read, and nothing is ever executed.

pub mod data;
pub mod discover;
pub mod eval;
pub mod islands;
pub mod json;
pub mod merge;
pub mod nesting;
pub mod strings;
pub mod tags;

use crate::diagnostics::{Diagnostic, Kind, SourceMap, Span};
use data::Data;
use eval::{Evaluator, Thunk, V, opaque_val};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where a service module's code is.
#[derive(Clone, Debug, PartialEq)]
pub enum ModuleSource {
    Path(PathBuf),
    /// A closed expression written inline.
    Verbatim(String),
}

/// A service module registered in the flake (`modules.<name>`).
#[derive(Clone, Debug)]
pub struct Module {
    pub key_span: Span,
    pub source: ModuleSource,
    /// The roles it defines, when they can be read statically.
    pub roles: Option<BTreeMap<String, Span>>,
}

/// A legacy clanModule: `inventory.modules.<name>` naming a directory whose `roles/<role>.nix`
/// files are its roles (what the legacy `services` API uses).
#[derive(Clone, Debug)]
pub struct LegacyModule {
    pub key_span: Span,
    pub path: PathBuf,
    /// Where `inventory.modules.<name>` points is a directory.
    pub is_dir: bool,
    /// The role names: every regular file `roles/<role>.nix`, as clan-core's `getRoles` lists
    /// them. `None` when the directory has no `roles/` directory.
    pub roles: Option<BTreeSet<String>>,
}

/// Everything read from one flake.
pub struct Flake {
    pub root: PathBuf,
    pub sources: SourceMap,
    /// The merged inventory; `None` when nothing defines one.
    pub inventory: Option<Data>,
    pub modules: BTreeMap<String, Module>,
    /// Declared flake inputs.
    pub inputs: BTreeMap<String, Span>,
    /// Files the inventory was read from, relative to the flake, in reading order.
    pub files: Vec<String>,
    /// `inventory.modules.<name>` entries that are paths, read as legacy clanModules.
    pub legacy_modules: BTreeMap<String, LegacyModule>,
    /// Where each inventory definition (before merging) writes its `services` key: the legacy
    /// `services` definitions that `migrate` rewrites.
    pub service_keys: Vec<Span>,
    /// Islands evaluated with Nix (or read from the cache) while reading, in order.
    pub islands: Vec<islands::Notice>,
}

/// Reads the flake in `dir`. Returns what could be read and every problem found.
pub fn read_flake(dir: &Path) -> (Flake, Vec<Diagnostic>) {
    read_flake_with(dir, std::collections::HashMap::new())
}

/// Reads the flake in `dir` as if the files of `overlay` (absolute path → text) held those
/// texts; the disk is not changed.
pub fn read_flake_with(
    dir: &Path,
    overlay: std::collections::HashMap<PathBuf, String>,
) -> (Flake, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let root = match dir.canonicalize() {
        Ok(r) => r,
        Err(e) => {
            diagnostics.push(Diagnostic::new(
                Kind::Io,
                format!("cannot open the flake directory `{}`: {e}", dir.display()),
            ));
            return (empty(dir.to_path_buf()), diagnostics);
        }
    };
    let flake_nix = root.join("flake.nix");
    if !flake_nix.is_file() {
        diagnostics.push(
            Diagnostic::new(
                Kind::NoInventory,
                format!("`{}` has no flake.nix", root.display()),
            )
            .with_hint("run inventory-gen in the flake's directory, or pass --flake DIR"),
        );
        return (empty(root), diagnostics);
    }
    let mut ev = Evaluator::new(root.clone());
    ev.overlay = overlay;
    ev.islands.enable(islands::current());
    let found = discover::Discovery::new(&mut ev).run(&flake_nix);
    diagnostics.extend(found.diagnostics);

    let service_keys: Vec<Span> = found
        .inventories
        .iter()
        .filter_map(|d| d.as_attrs()?.get("services").map(|e| e.key_span))
        .collect();
    let (inventory, merge_diagnostics) = if found.tag_functions.is_empty() {
        merge::merge_inventory(found.inventories)
    } else {
        // Tag functions see the merged inventory, and what they return is merged into it.
        let (first, _) = merge::merge_inventory(found.inventories.clone());
        let (computed, tag_diagnostics) =
            tags::compute(&mut ev, &found.tag_functions, first.as_ref());
        diagnostics.extend(tag_diagnostics);
        let mut defs = found.inventories;
        defs.extend(computed);
        merge::merge_inventory(defs)
    };
    diagnostics.extend(merge_diagnostics);
    if inventory.is_none() && !diagnostics.iter().any(Diagnostic::is_error) {
        let file = ev.sources.find(&flake_nix);
        let mut d = Diagnostic::new(Kind::NoInventory, "flake.nix defines no inventory")
            .with_hint(
                "looked for: `inventory = …` in the outputs, in a framework module (`mkFlake`'s arguments, their `flake = …`, `imports` and `modules`) and in `clan = { … }`; \
                 the argument of `lib.clan { … }` / `buildClan { … }`; clan `imports`; inventory.json; machines/<name>/ directories",
            );
        if let Some(file) = file {
            d = d.with_span(Span {
                file,
                start: 0,
                end: 0,
            });
        }
        diagnostics.push(d);
    }

    // Service modules instances name: clan-core reads a registered module only when an
    // instance uses it, so one nobody uses that cannot be read is a warning, not an error.
    let used_modules = used_module_names(inventory.as_ref());
    let mut modules = BTreeMap::new();
    for def in found.modules {
        if let Some(existing) = modules.get(&def.name) {
            let existing: &Module = existing;
            diagnostics.push(
                Diagnostic::at(
                    Kind::Duplicate,
                    def.key_span,
                    format!("service module `{}` is registered twice", def.name),
                )
                .with_note(existing.key_span, "first registered here"),
            );
            continue;
        }
        match read_module(&mut ev, &def.value) {
            Ok((source, roles)) => {
                modules.insert(
                    def.name,
                    Module {
                        key_span: def.key_span,
                        source,
                        roles,
                    },
                );
            }
            Err(d) if !used_modules.contains(&def.name) => {
                diagnostics.push(unused_module(&def.name, def.key_span, d))
            }
            Err(d) => diagnostics.push(d),
        }
    }

    // `inventory.modules.<name> = ./path;` registers a module too (clan-core ignores it; the
    // legacy `services` API and many flakes still use it).
    let inventory_modules: Vec<(String, Span, PathBuf)> = inventory
        .as_ref()
        .and_then(|d| d.as_attrs())
        .and_then(|a| a.get("modules"))
        .and_then(|m| m.value.as_attrs())
        .map(|entries| {
            entries
                .iter()
                .filter_map(|(name, e)| match &e.value.kind {
                    data::DataKind::Path(p) => Some((name.clone(), e.key_span, p.clone())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut legacy_modules = BTreeMap::new();
    for (name, key_span, path) in &inventory_modules {
        legacy_modules.insert(name.clone(), read_legacy_module(&root, *key_span, path));
    }
    for (name, key_span, path) in inventory_modules {
        if modules.contains_key(&name) {
            continue;
        }
        if path.is_dir() && !path.join("default.nix").exists() {
            // A legacy clanModule directory (roles/<role>.nix), not a clan.service module.
            modules.insert(
                name,
                Module {
                    key_span,
                    source: ModuleSource::Path(path),
                    roles: None,
                },
            );
            continue;
        }
        let value = Thunk::ready(eval::Val {
            v: V::Path(path.clone().into()),
            span: key_span,
        });
        match read_module(&mut ev, &value) {
            Ok((source, roles)) => {
                modules.insert(
                    name,
                    Module {
                        key_span,
                        source,
                        roles,
                    },
                );
            }
            // A legacy clanModule's `default.nix` is a NixOS module, not a clan.service module:
            // it need not be readable as one.
            Err(_) if legacy_modules.get(&name).is_some_and(|m| m.roles.is_some()) => {
                modules.insert(
                    name,
                    Module {
                        key_span,
                        source: ModuleSource::Path(path),
                        roles: None,
                    },
                );
            }
            Err(d) => diagnostics.push(d),
        }
    }

    let files = found.files.iter().map(|p| ev.display_name(p)).collect();
    let flake = Flake {
        root,
        sources: ev.sources,
        inventory,
        modules,
        inputs: found.inputs,
        files,
        legacy_modules,
        service_keys,
        islands: std::mem::take(&mut ev.islands.notices),
    };
    (flake, diagnostics)
}

/// The names of the service modules that instances use (`instances.<i>.module.name`).
fn used_module_names(inventory: Option<&Data>) -> BTreeSet<String> {
    let instances = inventory
        .and_then(|d| d.as_attrs())
        .and_then(|a| a.get("instances"))
        .and_then(|i| i.value.as_attrs());
    let mut used = BTreeSet::new();
    for (name, instance) in instances.into_iter().flatten() {
        let module = instance
            .value
            .as_attrs()
            .and_then(|a| a.get("module"))
            .and_then(|m| m.value.as_attrs());
        // An instance without `module.name` uses the module named like the instance.
        match module.and_then(|m| m.get("name")).map(|n| &n.value.kind) {
            Some(data::DataKind::Str(n)) => used.insert(n.clone()),
            Some(_) => false,
            None => used.insert(name.clone()),
        };
    }
    used
}

/// The warning for a registered module that no instance uses and that cannot be read.
fn unused_module(name: &str, key_span: Span, cause: Diagnostic) -> Diagnostic {
    let mut d = Diagnostic::at(
        Kind::UnusedModule,
        key_span,
        format!(
            "service module `{name}` is registered but no instance uses it, and it cannot be read: {}",
            cause.message
        ),
    )
    .with_label("registered here")
    .with_hint("clan-core reads a module only for the instances that use it: remove the entry, or fix it before an instance uses it");
    if let Some(span) = cause.span {
        d = d.with_note(span, "cannot be read here");
    }
    d
}

/// Lists a legacy clanModule's roles: the regular files `roles/<role>.nix` of its directory
/// (symbolic links are not followed, as in clan-core's `getRoles`). A directory that leads
/// outside the flake is not read.
fn read_legacy_module(root: &Path, key_span: Span, path: &Path) -> LegacyModule {
    let inside = |p: &Path| p.canonicalize().is_ok_and(|real| real.starts_with(root));
    let is_dir = path.is_dir() && inside(path);
    let roles = if is_dir && inside(&path.join("roles")) {
        std::fs::read_dir(path.join("roles")).ok().map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    let role = name.strip_suffix(".nix")?;
                    (!role.is_empty()).then(|| role.to_string())
                })
                .collect()
        })
    } else {
        None
    };
    LegacyModule {
        key_span,
        path: path.to_path_buf(),
        is_dir,
        roles,
    }
}

fn empty(root: PathBuf) -> Flake {
    Flake {
        root,
        sources: SourceMap::default(),
        inventory: None,
        modules: BTreeMap::new(),
        inputs: BTreeMap::new(),
        files: Vec::new(),
        legacy_modules: BTreeMap::new(),
        service_keys: Vec::new(),
        islands: Vec::new(),
    }
}

type Roles = Option<BTreeMap<String, Span>>;

/// A service module's source and the role names it defines (through its `imports` too).
fn read_module(ev: &mut Evaluator, value: &Thunk) -> Result<(ModuleSource, Roles), Diagnostic> {
    // The code that gives the module, kept before it is evaluated: `import ./x { inherit
    // inputs; }` is carried into the generated files as code.
    let code = value.unevaluated();
    let v = ev.force(value)?;
    let computed = code.as_ref().is_some_and(|(e, _, f)| {
        Span::new(*f, rowan::ast::AstNode::syntax(e).text_range()) != v.span
    });
    let source = match &v.v {
        V::Path(p) => ModuleSource::Path(p.to_path_buf()),
        // `import ./x`: the whole file is the module.
        _ if let Some(file) = file_value(ev, v.span) => ModuleSource::Path(file),
        _ if computed && let Some(text) = code.as_ref().and_then(|c| ev.carry(c)) => {
            ModuleSource::Verbatim(text)
        }
        _ => match ev.force_data(value, true)?.kind {
            data::DataKind::Verbatim(text) => ModuleSource::Verbatim(text),
            _ => {
                return Err(Diagnostic::at(
                    Kind::NotStatic,
                    v.span,
                    "a service module must be a path or a closed expression",
                ));
            }
        },
    };
    let mut roles = Some(BTreeMap::new());
    collect_roles(ev, value, &mut roles, 0)?;
    Ok((source, roles))
}

/// The file whose whole value `span` is (through `let`, `with`, `assert` and parentheses):
/// the value `import ./file` gives.
fn file_value(ev: &Evaluator, span: Span) -> Option<PathBuf> {
    use rnix::ast::Expr;
    use rowan::ast::AstNode;
    let path = ev.sources.path(span.file).to_path_buf();
    let loaded = ev.files.get(&path)?;
    let mut expr = loaded.root.as_ref().ok()?.clone();
    loop {
        if Span::new(loaded.id, expr.syntax().text_range()) == span {
            return Some(path);
        }
        expr = match expr {
            Expr::LetIn(e) => e.body()?,
            Expr::Paren(e) => e.expr()?,
            Expr::With(e) => e.body()?,
            Expr::Assert(e) => e.body()?,
            _ => return None,
        };
    }
}

fn collect_roles(
    ev: &mut Evaluator,
    value: &Thunk,
    roles: &mut Roles,
    depth: usize,
) -> Result<(), Diagnostic> {
    if depth > 32 {
        *roles = None;
        return Ok(());
    }
    let mut v = ev.force(value)?;
    loop {
        match &v.v {
            V::Path(p) => {
                let p = p.to_path_buf();
                let t = ev.import(&p, Some(v.span))?;
                v = ev.force(&t)?;
            }
            V::Lambda(_) => {
                let args = Thunk::ready(opaque_val("", v.span));
                v = ev.apply(v.clone(), args, v.span)?;
            }
            _ => break,
        }
    }
    let V::Attrs(map) = &v.v else {
        *roles = None;
        return Ok(());
    };
    if let Some(b) = map.get("roles") {
        match ev.force(&b.thunk.clone()) {
            Ok(r) => match &r.v {
                V::Attrs(role_map) => {
                    if let Some(roles) = roles.as_mut() {
                        for (name, binding) in role_map.iter() {
                            roles.entry(name.to_string()).or_insert(binding.key_span);
                        }
                    }
                }
                _ => *roles = None,
            },
            Err(_) => *roles = None,
        }
    }
    if let Some(b) = map.get("imports") {
        match ev.force(&b.thunk.clone()) {
            Ok(list) => match &list.v {
                V::List(items) => {
                    for item in items.iter() {
                        collect_roles(ev, item, roles, depth + 1)?;
                    }
                }
                _ => *roles = None,
            },
            Err(_) => *roles = None,
        }
    }
    Ok(())
}
