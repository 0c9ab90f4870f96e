//! Finds every definition of the inventory in a flake, in the forms real fleets use:
//! plain `outputs = …: { inventory = …; }`, calls whose argument holds an `inventory`
//! (`clan-core.lib.clan { … }`, `buildClan { … }`) wherever they are made (let-bound values,
//! applied imports), the arguments of framework calls (`mkFlake`: flake-parts' two-argument
//! and adios-flake's one-argument form) with their `flake = …`, `clan = …`, `inventory = …`,
//! `imports` and `modules`, clan configs with `imports`, `meta`, `modules` and `machines`,
//! `inventory.tags` functions, `<flake>/inventory.json` and `<flake>/machines/<name>/`.
//!
//! It evaluates only what it must to find these; everything else in flake.nix (packages,
//! `specialArgs`, NixOS modules) is never forced, so it cannot cause an error — unless it may
//! hide part of the clan config, which `unfollowed` reports. `flake_self` gives `outputs` and
//! module functions the flake as `self`.

use super::data::{Data, DataKind, Entry};
use super::eval::{Evaluator, Thunk, V, Val};
use super::json;
use crate::diagnostics::{Diagnostic, Kind, Span};
use rowan::ast::AstNode;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// A service module registered by name (`modules.<name> = ./services/x;`).
pub struct ModuleDef {
    pub name: String,
    pub key_span: Span,
    pub value: Thunk,
}

/// What discovery found; definitions are merged later.
#[derive(Default)]
pub struct Found {
    /// Inventory definitions (each an inventory attrset, as data).
    pub inventories: Vec<Data>,
    /// `inventory.tags` written as module functions, applied once the rest is merged.
    pub tag_functions: Vec<super::tags::TagFunction>,
    pub modules: Vec<ModuleDef>,
    /// Declared flake inputs and where.
    pub inputs: BTreeMap<String, Span>,
    /// Files that define part of the inventory (for headers and hints).
    pub files: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

mod flake_self;
mod unfollowed;

pub struct Discovery<'a> {
    ev: &'a mut Evaluator,
    found: Found,
    seen_modules: HashSet<PathBuf>,
    seen_clan_files: HashSet<PathBuf>,
    processed_calls: usize,
    /// Errors met while forcing outputs that are not known to be the inventory's: they matter
    /// only if they may hide a clan config (see `unfollowed_calls`).
    swallowed: Vec<Diagnostic>,
    /// A clan config was found (and read) in the flake's Nix code.
    clan_found: bool,
}

impl<'a> Discovery<'a> {
    pub fn new(ev: &'a mut Evaluator) -> Discovery<'a> {
        Discovery {
            ev,
            found: Found::default(),
            seen_modules: HashSet::new(),
            seen_clan_files: HashSet::new(),
            processed_calls: 0,
            swallowed: Vec::new(),
            clan_found: false,
        }
    }

    pub fn run(mut self, flake_nix: &Path) -> Found {
        if let Err(d) = self.flake(flake_nix) {
            self.found.diagnostics.push(d);
            return self.found;
        }
        self.json_file();
        self.machine_dirs();
        self.found
    }

    fn report(&mut self, result: Result<(), Diagnostic>) {
        if let Err(d) = result {
            self.found.diagnostics.push(d);
        }
    }

    fn note_file(&mut self, span: Span) {
        let path = self.ev.sources.path(span.file).to_path_buf();
        if !self.found.files.contains(&path) {
            self.found.files.push(path);
        }
    }

    fn flake(&mut self, flake_nix: &Path) -> Result<(), Diagnostic> {
        let top = self.ev.import(flake_nix, None)?;
        let top = self.ev.force(&top)?;
        let V::Attrs(attrs) = &top.v else {
            return Err(Diagnostic::at(
                Kind::WrongType,
                top.span,
                "flake.nix must be an attribute set with `inputs` and `outputs`",
            ));
        };
        if let Some(inputs) = attrs.get("inputs") {
            let inputs = self.ev.force(&inputs.thunk.clone())?;
            if let V::Attrs(map) = &inputs.v {
                for (name, binding) in map.iter() {
                    self.found.inputs.insert(name.to_string(), binding.key_span);
                }
            }
        }
        let Some(outputs) = attrs.get("outputs") else {
            return Err(Diagnostic::at(
                Kind::NoInventory,
                top.span,
                "flake.nix has no `outputs`",
            ));
        };
        let outputs = self.ev.force(&outputs.thunk.clone())?;
        let result = match &outputs.v {
            V::Lambda(_) => self.apply_outputs(&outputs)?,
            _ => outputs.clone(),
        };
        if let V::Opaque(o) = &result.v
            && o.args.is_empty()
        {
            // Outputs that are an unknown value and not a call a framework handles.
            self.swallowed
                .push(opaque_part("the flake's outputs", o, result.span));
        }
        if let V::Opaque(o) = &result.v
            && !o.args.is_empty()
            && call_kind(o.last().unwrap_or("")) == CallKind::Other
        {
            self.swallowed
                .push(opaque_part("the flake's outputs", o, result.span));
        }
        self.outputs(&result)?;
        self.calls()?;
        self.unfollowed_calls();
        Ok(())
    }

    /// Flake outputs (the value of `outputs`, or a framework's `flake = …`): an inventory, a
    /// `clan` config, and the clan calls its attributes make.
    fn outputs(&mut self, result: &Val) -> Result<(), Diagnostic> {
        let V::Attrs(map) = &result.v else {
            return Ok(());
        };
        if map.contains_key("inventory") {
            // Plain outputs holding an inventory are read like a clan config
            // (`inventory`, `meta`, `modules` beside it).
            self.clan_config(&Thunk::ready(result.clone()))?;
        }
        if let Some(clan) = map.get("clan") {
            // An output named `clan` is often clan-core's result, not a config: only an
            // attribute set holding an inventory is one.
            let t = clan.thunk.clone();
            match self.ev.force(&t) {
                Ok(Val { v: V::Attrs(m), .. }) if m.contains_key("inventory") => {
                    self.clan_config(&t)?;
                }
                Ok(_) => {}
                Err(d) => return Err(unfollowed(d, "the flake output `clan`")),
            }
        }
        // Force each output one level so `let clan = lib.clan { … }; in { inherit (clan) … }`
        // records its call. What fails here is reported only if it hides a clan call (see
        // `unfollowed_calls`): a failing package is not the inventory's business.
        let values: Vec<Thunk> = map.values().map(|b| b.thunk.clone()).collect();
        for t in values {
            if let Err(d) = self.ev.force(&t) {
                self.swallowed.push(d);
            }
        }
        Ok(())
    }

    /// Handles recorded calls of unknown functions until no new ones appear. Each recorded
    /// call is one more argument given to an unknown function (`mkFlake a b` is recorded as
    /// `mkFlake a` and `mkFlake a b`), so only its last argument is new.
    fn calls(&mut self) -> Result<(), Diagnostic> {
        while self.processed_calls < self.ev.calls.len() {
            let index = self.processed_calls;
            self.processed_calls += 1;
            let (function, args) = {
                let call = &self.ev.calls[index];
                (call.function.clone(), call.args.clone())
            };
            let last = function.last().map(|s| &**s).unwrap_or("");
            let Some(arg) = args.last().cloned() else {
                continue;
            };
            match call_kind(last) {
                CallKind::Clan => {
                    if args.len() == 1 {
                        // The argument of a clan constructor is the clan config: its error
                        // is the user's problem.
                        let r = self.clan_config(&arg);
                        self.report(r);
                    }
                }
                CallKind::Framework => {
                    let what = format!("the argument of `{}`", function.join("."));
                    let r = self.flake_module(&arg).map_err(|d| unfollowed(d, &what));
                    self.report(r);
                }
                CallKind::Other => {
                    if args.len() != 1 {
                        continue;
                    }
                    let Ok(v) = self.ev.force(&arg) else {
                        continue;
                    };
                    if let V::Attrs(map) = &v.v
                        && map.contains_key("inventory")
                    {
                        let r = self.clan_config(&arg);
                        self.report(r);
                    }
                }
            }
        }
        Ok(())
    }

    /// Forces a module value: a path is imported, a function is called with unknown arguments.
    fn module_value(&mut self, thunk: &Thunk) -> Result<Val, Diagnostic> {
        let mut v = self.ev.force(thunk)?;
        for _ in 0..4 {
            match &v.v {
                V::Path(p) => {
                    let p = p.to_path_buf();
                    let t = self.ev.import(&p, Some(v.span))?;
                    v = self.ev.force(&t)?;
                }
                // `self + "/clan.nix"`, `"${self}/clan.nix"`: a path of the flake, as a string.
                V::Str(s) if s.starts_with('/') && Path::new(&**s).starts_with(&self.ev.root) => {
                    let p = super::eval::normalize(Path::new(&**s));
                    let t = self.ev.import(&p, Some(v.span))?;
                    v = self.ev.force(&t)?;
                }
                V::Lambda(_) => {
                    let args = self.module_args(&v);
                    v = self.ev.apply(v.clone(), args, v.span)?;
                }
                _ => break,
            }
        }
        Ok(v)
    }

    /// A framework module (flake-parts, adios-flake, …): a path, a function or an attribute
    /// set, whose `clan`, `flake`, `imports`, `modules` and `config` may define the clan config.
    fn flake_module(&mut self, thunk: &Thunk) -> Result<(), Diagnostic> {
        if let Ok(V::Path(p)) = self.ev.force(thunk).map(|v| v.v) {
            let p = p.to_path_buf();
            if !self.seen_modules.insert(p) {
                return Ok(());
            }
        }
        let v = self.module_value(thunk)?;
        let map = match &v.v {
            V::Attrs(map) => map.clone(),
            // A computed module (`import-tree ./modules`, `inputs.x.lib.f ./dir`): what it
            // defines cannot be known.
            V::Opaque(o) if !o.args.is_empty() => {
                return Err(Diagnostic::at(
                    Kind::NotStatic,
                    v.span,
                    format!(
                        "this module is computed by `{}`, which the reader cannot evaluate",
                        o.describe()
                    ),
                ));
            }
            _ => return Ok(()),
        };
        // inventory-gen's own flake-parts module puts the clan config's keys at the top level:
        // `inventory`, `modules`, `meta`, `machines` (its `imports` are flake-parts imports).
        let mut modules_are_clan = false;
        if let Some(b) = map.get("modules") {
            let t = b.thunk.clone();
            match self.ev.force(&t) {
                // adios-flake's `modules = [ ./x/flake-module.nix … ]`: framework modules.
                Ok(Val {
                    v: V::List(items), ..
                }) => self.module_list(&items),
                Ok(_) => modules_are_clan = true,
                Err(d) => return Err(unfollowed(d, "`modules`")),
            }
        }
        if map.contains_key("inventory") || modules_are_clan {
            self.clan_found = true;
            self.clan_keys(&map, false)?;
        }
        if let Some(b) = map.get("clan") {
            let t = b.thunk.clone();
            self.clan_config(&t)?;
        }
        if let Some(b) = map.get("flake") {
            let t = b.thunk.clone();
            let what = "the framework's `flake` attribute";
            let flake = self.module_value(&t).map_err(|d| unfollowed(d, what))?;
            if let V::Opaque(o) = &flake.v {
                return Err(opaque_part(what, o, flake.span));
            }
            self.outputs(&flake)?;
        }
        if let Some(b) = map.get("config") {
            let t = b.thunk.clone();
            self.flake_module(&t)?;
        }
        if let Some(b) = map.get("imports") {
            let list = self
                .ev
                .force(&b.thunk.clone())
                .map_err(|d| unfollowed(d, "this `imports` list"))?;
            match &list.v {
                V::List(items) => self.module_list(items),
                V::Opaque(o) => {
                    return Err(Diagnostic::at(
                        Kind::NotStatic,
                        list.span,
                        format!(
                            "cannot follow this `imports` list, which may define part of the clan configuration: it is computed by `{}`, which the reader cannot evaluate",
                            o.describe()
                        ),
                    )
                    .with_hint("list the modules as paths: `imports = [ ./clan.nix … ];`"));
                }
                _ => {
                    return Err(Diagnostic::at(
                        Kind::WrongType,
                        list.span,
                        format!(
                            "`imports` must be a list, found {}",
                            super::eval::type_name(&list)
                        ),
                    ));
                }
            }
        }
        self.calls()
    }

    /// The items of a framework's `imports` (or adios-flake's `modules`): each is followed;
    /// a module of a flake input (`inputs.x.flakeModules.default`) is not this flake's to read.
    fn module_list(&mut self, items: &[Thunk]) {
        for item in items.iter() {
            match self.ev.force(item) {
                Ok(Val {
                    v: V::Opaque(o), ..
                }) if o.args.is_empty() => {}
                Ok(_) => {
                    let r = self.flake_module(item);
                    self.report(r);
                }
                Err(d) => self.found.diagnostics.push(unfollowed(d, "this module")),
            }
        }
    }

    /// A clan config: `inventory`, `meta`, `modules`, `machines`, `imports`.
    fn clan_config(&mut self, thunk: &Thunk) -> Result<(), Diagnostic> {
        self.clan_found = true;
        if let Ok(V::Path(p)) = self.ev.force(thunk).map(|v| v.v) {
            let p = p.to_path_buf();
            if !self.seen_clan_files.insert(p) {
                return Ok(());
            }
        }
        let v = self.module_value(thunk)?;
        let V::Attrs(map) = &v.v else {
            return Err(Diagnostic::at(
                Kind::WrongType,
                v.span,
                format!(
                    "expected the clan configuration (an attribute set), found {}",
                    super::eval::type_name(&v)
                ),
            ));
        };
        let map = map.clone();
        self.clan_keys(&map, true)
    }

    fn clan_keys(
        &mut self,
        map: &super::eval::AttrMap,
        with_imports: bool,
    ) -> Result<(), Diagnostic> {
        if let Some(b) = map.get("inventory") {
            self.inventory(&b.thunk)?;
        }
        if let Some(b) = map.get("meta") {
            let meta = self.ev.force_data(&b.thunk, false)?;
            self.note_file(meta.span);
            let span = meta.span;
            self.found
                .inventories
                .push(single("meta", b.key_span, meta, span));
        }
        if let Some(b) = map.get("modules") {
            let modules = self.ev.force(&b.thunk)?;
            match &modules.v {
                V::Attrs(m) => {
                    for (name, binding) in m.iter() {
                        self.found.modules.push(ModuleDef {
                            name: name.to_string(),
                            key_span: binding.key_span,
                            value: binding.thunk.clone(),
                        });
                    }
                }
                _ => {
                    return Err(Diagnostic::at(
                        Kind::WrongType,
                        modules.span,
                        format!(
                            "`modules` must be an attribute set of service modules, found {}",
                            super::eval::type_name(&modules)
                        ),
                    ));
                }
            }
        }
        if let Some(b) = map.get("machines") {
            let machines = self.ev.force(&b.thunk)?;
            if let V::Attrs(m) = &machines.v {
                let mut entries = BTreeMap::new();
                for (name, binding) in m.iter() {
                    entries.insert(
                        name.to_string(),
                        Entry {
                            key_span: binding.key_span,
                            value: Data::new(DataKind::Attrs(BTreeMap::new()), binding.key_span),
                        },
                    );
                }
                let span = machines.span;
                self.note_file(span);
                self.found.inventories.push(single(
                    "machines",
                    b.key_span,
                    Data::new(DataKind::Attrs(entries), span),
                    span,
                ));
            }
        }
        if let Some(b) = map.get("imports").filter(|_| with_imports) {
            let list = self.ev.force(&b.thunk)?;
            match &list.v {
                V::List(items) => {
                    for item in items.iter() {
                        let r = self.clan_config(item);
                        self.report(r);
                    }
                }
                _ => {
                    return Err(Diagnostic::at(
                        Kind::WrongType,
                        list.span,
                        "`imports` must be a list",
                    ));
                }
            }
        }
        Ok(())
    }

    /// One inventory definition: data, a file, or a module function; its own `imports` too.
    fn inventory(&mut self, thunk: &Thunk) -> Result<(), Diagnostic> {
        let v = self.module_value(thunk)?;
        let v = self.ev.island_value(v)?;
        let V::Attrs(map) = &v.v else {
            let data = self.ev.force_data(thunk, false)?;
            return Err(Diagnostic::at(
                Kind::WrongType,
                data.span,
                format!(
                    "the inventory must be an attribute set, found {}",
                    data.type_name()
                ),
            ));
        };
        if map.contains_key("_type") {
            // `inventory = lib.mkMerge [ … ]` or `lib.mkIf c { … }`: one definition the merge
            // takes apart as the module system does.
            let data = self.ev.force_data(thunk, false)?;
            self.note_file(v.span);
            self.found.inventories.push(data);
            return Ok(());
        }
        let mut entries = BTreeMap::new();
        let mut imports = None;
        for (key, binding) in map.iter() {
            if &**key == "imports" {
                imports = Some(binding.thunk.clone());
                continue;
            }
            if &**key == "tags" {
                // `tags = { config, ... }: { … }` (or a file holding one) is a module function
                // of clan-core's tags submodule, applied once the machines are known.
                let mut value = self.ev.force(&binding.thunk);
                if let Ok(Val {
                    v: V::Path(p),
                    span,
                }) = &value
                {
                    let p = p.to_path_buf();
                    value = self
                        .ev
                        .import(&p, Some(*span))
                        .and_then(|t| self.ev.force(&t));
                }
                if let Ok(
                    v @ Val {
                        v: V::Lambda(_), ..
                    },
                ) = value
                {
                    self.found.tag_functions.push(super::tags::TagFunction {
                        value: v,
                        key_span: binding.key_span,
                    });
                    continue;
                }
            }
            let value = match self.ev.force_data(&binding.thunk, &**key == "extraModules") {
                Ok(v) => v,
                Err(d) => {
                    self.found.diagnostics.push(d);
                    continue;
                }
            };
            entries.insert(
                key.to_string(),
                Entry {
                    key_span: binding.key_span,
                    value,
                },
            );
        }
        self.note_file(v.span);
        self.found
            .inventories
            .push(Data::new(DataKind::Attrs(entries), v.span));
        if let Some(imports) = imports {
            let list = self.ev.force(&imports)?;
            if let V::List(items) = &list.v {
                for item in items.iter() {
                    let r = self.inventory(item);
                    self.report(r);
                }
            }
        }
        Ok(())
    }

    fn json_file(&mut self) {
        let path = self.ev.root.join("inventory.json");
        // A dangling link is still there: reading it says where it leads.
        if std::fs::symlink_metadata(&path).is_err() {
            return;
        }
        let result = self
            .ev
            .read_text(&path, None)
            .and_then(|id| json::parse(self.ev.sources.text(id), id));
        match result {
            Ok(data) => {
                if data.as_attrs().is_none() {
                    self.found.diagnostics.push(Diagnostic::at(
                        Kind::WrongType,
                        data.span,
                        format!(
                            "inventory.json must hold an object, found {}",
                            data.type_name()
                        ),
                    ));
                    return;
                }
                self.note_file(data.span);
                self.found.inventories.push(data);
            }
            Err(d) => self.found.diagnostics.push(d),
        }
    }

    /// Every directory `machines/<name>/` registers machine `<name>`. Like clan-core (which
    /// keeps the entries `builtins.readDir` calls "directory"), links are not machines; a link
    /// that leads out of the flake is an error, as is `machines` itself leading out.
    fn machine_dirs(&mut self) {
        let dir = self.ev.root.join("machines");
        if std::fs::symlink_metadata(&dir).is_err() {
            return;
        }
        if let Err(d) = self.ev.check_inside(&dir, None) {
            self.found.diagnostics.push(d);
            return;
        }
        let Ok(read) = std::fs::read_dir(&dir) else {
            return;
        };
        let mut names = Vec::new();
        for entry in read.filter_map(Result::ok) {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                if let Err(d) = self.ev.check_inside(&entry.path(), None) {
                    self.found.diagnostics.push(d);
                }
            } else if kind.is_dir() {
                match entry.file_name().into_string() {
                    Ok(name) => names.push(name),
                    Err(raw) => self.found.diagnostics.push(
                        Diagnostic::new(
                            Kind::BadName,
                            format!(
                                "the directory `machines/{}` has a name that is not UTF-8 text",
                                raw.to_string_lossy()
                            ),
                        )
                        .with_hint(
                            "machine names become file names: use letters, digits, `-` and `_`",
                        ),
                    ),
                }
            }
        }
        names.sort();
        if names.is_empty() {
            return;
        }
        let mut entries = BTreeMap::new();
        for name in names {
            let display = format!("machines/{name}/");
            let id = self.ev.sources.add(display, dir.join(&name), String::new());
            let span = Span {
                file: id,
                start: 0,
                end: 0,
            };
            entries.insert(
                name,
                Entry {
                    key_span: span,
                    value: Data::new(DataKind::Attrs(BTreeMap::new()), span),
                },
            );
        }
        let span = entries
            .values()
            .next()
            .map(|e| e.key_span)
            .expect("non-empty");
        self.found.inventories.push(single(
            "machines",
            span,
            Data::new(DataKind::Attrs(entries), span),
            span,
        ));
    }
}

/// `{ <key> = value; }` as an inventory definition.
fn single(key: &str, key_span: Span, value: Data, span: Span) -> Data {
    let mut entries = BTreeMap::new();
    entries.insert(key.to_string(), Entry { key_span, value });
    Data::new(DataKind::Attrs(entries), span)
}

/// What an unknown function is, by its name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CallKind {
    /// `lib.clan`, `buildClan`: the argument is a clan config.
    Clan,
    /// A flake framework (`flake-parts.lib.mkFlake`, adios-flake's `mkFlake`): its arguments
    /// are modules that may hold a clan config.
    Framework,
    Other,
}

fn call_kind(name: &str) -> CallKind {
    match name {
        "clan" | "buildClan" => CallKind::Clan,
        "mkFlake" | "evalFlakeModule" => CallKind::Framework,
        _ => CallKind::Other,
    }
}

/// Whether a function expression names a clan constructor or framework (`buildClan`,
/// `lib.clan`, `mkFlake`), as a call the reader must follow.
pub(crate) fn names_clan_call(function: &rnix::ast::Expr) -> bool {
    last_name(function).is_some_and(|name| call_kind(&name) != CallKind::Other)
}

/// The name a function expression ends in: `f`, `a.b.f`.
fn last_name(function: &rnix::ast::Expr) -> Option<String> {
    use rnix::ast::{Attr, Expr};
    match function {
        Expr::Ident(i) => Some(i.syntax().text().to_string()),
        Expr::Select(s) => match s.attrpath()?.attrs().last()? {
            Attr::Ident(i) => Some(i.syntax().text().to_string()),
            _ => None,
        },
        Expr::Paren(p) => last_name(&p.expr()?),
        _ => None,
    }
}

/// `cause` as the reason a part of the flake that may define the clan config was not read.
fn unfollowed(cause: Diagnostic, what: &str) -> Diagnostic {
    let mut d = cause;
    if !d.message.starts_with("cannot follow ") {
        d.message = format!(
            "cannot follow {what}, which may define part of the clan configuration: {}",
            d.message
        );
    }
    d
}

/// A part that may define the clan config but is an unknown value.
fn opaque_part(what: &str, o: &super::eval::Opaque, span: Span) -> Diagnostic {
    Diagnostic::at(
        Kind::NotStatic,
        span,
        format!(
            "cannot follow {what}, which may define part of the clan configuration: it is `{}`, which the reader cannot evaluate",
            o.describe()
        ),
    )
    .with_label("cannot be evaluated")
    .with_hint("write it so it can be read statically: a conditional on an input or an unknown function hides what it defines")
}
