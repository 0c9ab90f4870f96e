//! Finds every definition of the inventory in a flake, in the forms real fleets use:
//! plain `outputs = …: { inventory = …; }`, calls whose argument holds an `inventory`
//! (`clan-core.lib.clan { … }`, `buildClan { … }`), flake-parts `mkFlake` modules with
//! `inventory = …` or `clan = { … }` (and their local `imports`), clan configs with `imports`,
//! `meta`, `modules` and `machines`, `<flake>/inventory.json` and `<flake>/machines/<name>/`.
//!
//! It evaluates only what it must to find these; everything else in flake.nix (packages,
//! `specialArgs`, NixOS modules) is never forced, so it cannot cause an error.

use super::data::{Data, DataKind, Entry};
use super::eval::{Evaluator, Thunk, V, Val, opaque_val};
use super::json;
use crate::diagnostics::{Diagnostic, Kind, Span};
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
    pub modules: Vec<ModuleDef>,
    /// Declared flake inputs and where.
    pub inputs: BTreeMap<String, Span>,
    /// Files that define part of the inventory (for headers and hints).
    pub files: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

pub struct Discovery<'a> {
    ev: &'a mut Evaluator,
    found: Found,
    seen_modules: HashSet<PathBuf>,
    seen_clan_files: HashSet<PathBuf>,
    processed_calls: usize,
}

impl<'a> Discovery<'a> {
    pub fn new(ev: &'a mut Evaluator) -> Discovery<'a> {
        Discovery {
            ev,
            found: Found::default(),
            seen_modules: HashSet::new(),
            seen_clan_files: HashSet::new(),
            processed_calls: 0,
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
            V::Lambda(_) => {
                let arg = Thunk::ready(opaque_val("inputs", outputs.span));
                self.ev.apply(outputs.clone(), arg, outputs.span)?
            }
            _ => outputs.clone(),
        };
        if let V::Attrs(map) = &result.v {
            if map.contains_key("inventory") {
                // Plain outputs holding an inventory are read like a clan config
                // (`inventory`, `meta`, `modules` beside it).
                self.clan_config(&Thunk::ready(result.clone()))?;
            }
            if let Some(clan) = map.get("clan") {
                // An output named `clan` is often clan-core's result, not a config: only a
                // literal attribute set holding an inventory is one.
                let t = clan.thunk.clone();
                if let Ok(Val { v: V::Attrs(m), .. }) = self.ev.force(&t)
                    && m.contains_key("inventory")
                {
                    self.clan_config(&t)?;
                }
            }
            // Force each output one level so `let clan = lib.clan { … }; in { inherit (clan) … }`
            // records its call; what fails here is not the inventory's business.
            let values: Vec<Thunk> = map.values().map(|b| b.thunk.clone()).collect();
            for t in values {
                let _ = self.ev.force(&t);
            }
        }
        self.calls()
    }

    /// Handles recorded calls of unknown functions until no new ones appear.
    fn calls(&mut self) -> Result<(), Diagnostic> {
        while self.processed_calls < self.ev.calls.len() {
            let index = self.processed_calls;
            self.processed_calls += 1;
            let (function, args) = {
                let call = &self.ev.calls[index];
                (call.function.clone(), call.args.clone())
            };
            let last = function.last().map(|s| &**s).unwrap_or("");
            if last == "mkFlake" && args.len() == 2 {
                self.flake_module(&args[1])?;
                continue;
            }
            if args.len() == 1 {
                let arg = match self.ev.force(&args[0]) {
                    Ok(v) => v,
                    // The argument of a clan constructor is the clan config: its error is the
                    // user's problem. Other unknown calls are none of the inventory's business.
                    Err(d) if matches!(last, "clan" | "buildClan") => return Err(d),
                    Err(_) => continue,
                };
                if let V::Attrs(map) = &arg.v
                    && (map.contains_key("inventory") || matches!(last, "clan" | "buildClan"))
                {
                    self.clan_config(&args[0])?;
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
                V::Lambda(_) => {
                    let args = Thunk::ready(opaque_val("", v.span));
                    v = self.ev.apply(v.clone(), args, v.span)?;
                }
                _ => break,
            }
        }
        Ok(v)
    }

    fn flake_module(&mut self, thunk: &Thunk) -> Result<(), Diagnostic> {
        if let Ok(V::Path(p)) = self.ev.force(thunk).map(|v| v.v) {
            let p = p.to_path_buf();
            if !self.seen_modules.insert(p) {
                return Ok(());
            }
        }
        let v = self.module_value(thunk)?;
        let V::Attrs(map) = &v.v else {
            return Ok(());
        };
        // inventory-gen's own flake-parts module puts the clan config's keys at the top level:
        // `inventory`, `modules`, `meta`, `machines` (its `imports` are flake-parts imports).
        if map.contains_key("inventory") || map.contains_key("modules") {
            let map = map.clone();
            self.clan_keys(&map, false)?;
        }
        if let Some(b) = map.get("clan") {
            let t = b.thunk.clone();
            self.clan_config(&t)?;
        }
        if let Some(b) = map.get("config") {
            let t = b.thunk.clone();
            self.flake_module(&t)?;
        }
        if let Some(b) = map.get("imports") {
            let list = self.ev.force(&b.thunk.clone())?;
            if let V::List(items) = &list.v {
                for item in items.iter() {
                    match self.ev.force(item) {
                        // `inputs.x.flakeModules.default` and the like are not ours to read.
                        Ok(Val {
                            v: V::Opaque(_), ..
                        }) => {}
                        Ok(_) => {
                            let r = self.flake_module(item);
                            self.report(r);
                        }
                        Err(d) => self.found.diagnostics.push(d),
                    }
                }
            }
        }
        self.calls()
    }

    /// A clan config: `inventory`, `meta`, `modules`, `machines`, `imports`.
    fn clan_config(&mut self, thunk: &Thunk) -> Result<(), Diagnostic> {
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
        let mut entries = BTreeMap::new();
        let mut imports = None;
        for (key, binding) in map.iter() {
            if &**key == "imports" {
                imports = Some(binding.thunk.clone());
                continue;
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
