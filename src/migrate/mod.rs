//! The `migrate` command's planning: rewrites each legacy `services.<module>.<instance>` of the
//! flake's Nix files as the equivalent `instances.<instance>`, by splicing text into the source
//! files at the ranges rnix gives.
//!
//! Rules (the legacy field → the `instances` field): `roles.<r>.machines = [ "a" ]` →
//! `roles.<r>.machines = { a = { }; }` (brackets and items rewritten in place, so comments and
//! layout stay); `roles.<r>.tags` stays; `roles.<r>.config` → `roles.<r>.settings`;
//! `machines.<m>.config` → `roles.<r>.machines.<m>.settings` for the one role `r` that `m`
//! holds; the instance's `config` → `roles.<r>.settings` and its `extraModules` →
//! `roles.<r>.extraModules` of every role it writes; `roles.<r>.extraModules` stay, strings
//! (relative to the flake) becoming path literals; `enabled = true` is dropped; `module.name` and
//! `module.input = "self"` are added. The target is the clan.service module registered under
//! `modules.<module>`: the legacy clanModule directory cannot serve `instances`.
//!
//! A legacy instance of one of clan-core's built-in clanModules (no `inventory.modules.<m>`;
//! [`builtin`] holds clan-core's migration guide's table) becomes, as that guide says,
//! `instances.<module>-<instance>` with `module.input = "clan-core"`, tags as attribute sets too,
//! and machine `config` in every role the machine holds; modules the guide does not map to a
//! service of the same name are refused with its advice.
//!
//! Guarantees: bytes outside the rewritten ranges (the legacy bindings, and the `services`
//! containers that become empty) are kept as they were, comments inside them move with the text
//! they belong to; an instance whose meaning cannot be kept is refused with a `cannot-migrate`
//! diagnostic that says why and is left untouched; the plan is read back with the rewritten
//! texts (the `read_back` callback) before anything is returned, and an instance whose members
//! per role, settings or extra modules would differ is refused too. Nothing here touches the
//! file system and nothing panics on any input.

//!
//! The stages, one file each: `check` decides which instances can be migrated, `find`
//! finds the bindings that define them, `edit` plans the edits of each, `apply` applies
//! them to the files keeping comments, and `verify` compares the flake read back.

mod apply;
pub mod builtin;
mod check;
mod edit;
mod find;
mod text;
mod verify;

use crate::diagnostics::{Diagnostic, Kind};
use crate::emit::nix::{attr_name, string};
use crate::lower::{Inventory, LegacyInstance};
use crate::read::Flake;
use crate::resolve::Graph;
use check::{Info, check};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A legacy instance: (module, instance).
pub type Key = (String, String);

/// One rewritten source file.
pub struct FileChange {
    /// The name relative to the flake.
    pub display: String,
    pub old: String,
    pub new: String,
}

/// What `migrate` will do.
#[derive(Default)]
pub struct Plan {
    /// Rewritten files by absolute path.
    pub files: BTreeMap<PathBuf, FileChange>,
    /// The migrated instances.
    pub migrated: Vec<Key>,
    /// What each migrated instance became.
    pub details: BTreeMap<Key, Migrated>,
    /// `cannot-migrate` for every refused instance.
    pub diagnostics: Vec<Diagnostic>,
}

/// What one migrated instance became, for the report.
pub struct Migrated {
    /// The name of its `instances` entry.
    pub target: String,
    /// It became an instance of clan-core's clan.service of the same name.
    pub builtin: bool,
    /// Each key of its `config` layers that moved: where it was, and every place it went.
    pub moved: Vec<(String, Vec<String>)>,
}

impl Plan {
    /// One line per migrated instance, `<verb> services.<m>.<i> -> instances.<target>`; for
    /// clan-core's modules, whose services take typed settings that may differ from the old
    /// `config`, also the keys moved and where, to check against the service's interface.
    pub fn report(&self, verb: &str) -> String {
        let mut out = String::new();
        for key in &self.migrated {
            let Some(m) = self.details.get(key) else {
                continue;
            };
            out.push_str(&format!(
                "{verb} {} -> instances.{}",
                dotted(key),
                attr_name(&m.target)
            ));
            if !m.builtin {
                out.push('\n');
                continue;
            }
            out.push_str(&format!(
                " (clan-core's clan.service `{}`, `module.input = {}`)\n",
                key.0,
                string(builtin::INPUT)
            ));
            for (from, to) in &m.moved {
                out.push_str(&format!("  moved {from} -> {}\n", to.join(", ")));
            }
            if m.moved.is_empty() {
                out.push_str("  no `config` to move\n");
            } else {
                out.push_str(&format!(
                    "  check these settings against the interface of clan-core's service `{}`: its settings are typed and may differ from the old `config`\n",
                    key.0
                ));
            }
        }
        out
    }
}

/// The keys of each `config` layer of `instance` and where its rewrite puts them.
fn moved(instance: &LegacyInstance, info: &Info) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut layer = |from: String, config: &Option<crate::read::data::Data>, to: Vec<String>| {
        let Some(config) = config else { return };
        match config.as_attrs() {
            Some(attrs) => {
                for k in attrs.keys() {
                    let k = attr_name(k);
                    out.push((
                        format!("{from}.{k}"),
                        to.iter().map(|t| format!("{t}.{k}")).collect(),
                    ));
                }
            }
            None => out.push((from, to)),
        }
    };
    let settings = |r: &String| format!("roles.{}.settings", attr_name(r));
    layer(
        "config".into(),
        &instance.config,
        info.roles.iter().map(settings).collect(),
    );
    for (r, role) in &instance.roles {
        layer(
            format!("roles.{}.config", attr_name(r)),
            &role.config,
            vec![settings(r)],
        );
    }
    for (m, machine) in &instance.machines {
        let to = info
            .machine_roles
            .get(m)
            .into_iter()
            .flatten()
            .map(|r| format!("roles.{}.machines.{}.settings", attr_name(r), attr_name(m)))
            .collect();
        layer(
            format!("machines.{}.config", attr_name(m)),
            &machine.config,
            to,
        );
    }
    out
}

/// The flake read back with rewritten texts.
pub struct ReadBack {
    pub inventory: Inventory,
    pub graph: Graph,
    /// Messages of the errors reading it back gave.
    pub errors: Vec<String>,
}

/// Whether `migrate` is the answer to diagnostic `d` of reading the flake, so that it does not
/// stop it: the `legacy-service` warnings, and `generate`'s refusal of a legacy instance of
/// clan-core's built-in clanModules (which migrate rewrites, or refuses with the guide's
/// advice).
pub fn answers(flake: &Flake, inventory: Option<&Inventory>, d: &Diagnostic) -> bool {
    if d.kind == Kind::LegacyService {
        return true;
    }
    d.kind == Kind::UnknownModule
        && d.span.is_some()
        && inventory.is_some_and(|inventory| {
            inventory
                .services
                .iter()
                .any(|((m, _), i)| Some(i.span) == d.span && check::is_builtin(flake, m))
        })
}

pub(super) fn dotted(key: &Key) -> String {
    format!("services.{}.{}", attr_name(&key.0), attr_name(&key.1))
}

pub(super) fn refusal(instance: &LegacyInstance, reason: &str, hint: &str) -> Diagnostic {
    Diagnostic::at(
        Kind::CannotMigrate,
        instance.span,
        format!(
            "`{}` cannot be migrated: {reason}",
            dotted(&(instance.module.clone(), instance.name.clone()))
        ),
    )
    .with_label("left as it is")
    .with_hint(hint.to_string())
}

/// Plans the migration of every legacy instance. `read_back` reads the flake as if the given
/// files (absolute path → text) held the rewritten texts.
pub fn plan(
    flake: &Flake,
    inventory: &Inventory,
    graph: &Graph,
    read_back: &mut dyn FnMut(&BTreeMap<PathBuf, String>) -> ReadBack,
) -> Plan {
    let mut refused: BTreeMap<Key, Diagnostic> = BTreeMap::new();
    let mut infos: BTreeMap<Key, Info> = BTreeMap::new();
    for (key, instance) in &inventory.services {
        match check(flake, inventory, graph, instance) {
            Ok(info) => {
                infos.insert(key.clone(), info);
            }
            Err(d) => {
                refused.insert(key.clone(), d);
            }
        }
    }
    // Each round refuses at least one more instance or ends.
    for _ in 0..=inventory.services.len() {
        let accepted: BTreeMap<&Key, &Info> = infos
            .iter()
            .filter(|(k, _)| !refused.contains_key(*k))
            .collect();
        let rewrite = apply::rewrite_all(flake, inventory, &accepted);
        if !rewrite.refused.is_empty() {
            for (key, (reason, hint)) in rewrite.refused {
                if let Some(instance) = inventory.services.get(&key) {
                    refused.insert(key, refusal(instance, &reason, &hint));
                }
            }
            continue;
        }
        if rewrite.migrated.is_empty() {
            return finish(Plan::default(), refused);
        }
        let texts: BTreeMap<PathBuf, String> = rewrite
            .files
            .iter()
            .map(|(path, change)| (path.clone(), change.new.clone()))
            .collect();
        let back = read_back(&texts);
        let failures = verify::verify(flake, inventory, graph, &rewrite.migrated, &accepted, &back);
        if failures.is_empty() {
            let details = rewrite
                .migrated
                .iter()
                .filter_map(|key| {
                    let (instance, info) = (inventory.services.get(key)?, accepted.get(key)?);
                    let m = Migrated {
                        target: info.target.clone(),
                        builtin: info.builtin,
                        moved: moved(instance, info),
                    };
                    Some((key.clone(), m))
                })
                .collect();
            let plan = Plan {
                files: rewrite.files,
                migrated: rewrite.migrated.into_iter().collect(),
                details,
                diagnostics: Vec::new(),
            };
            return finish(plan, refused);
        }
        for (key, reason) in failures {
            if let Some(instance) = inventory.services.get(&key) {
                refused.insert(
                    key,
                    refusal(
                        instance,
                        &reason,
                        "rewrite it by hand (see the README's section on legacy services), or simplify how it is written and run migrate again",
                    ),
                );
            }
        }
    }
    finish(Plan::default(), refused)
}

fn finish(mut plan: Plan, refused: BTreeMap<Key, Diagnostic>) -> Plan {
    plan.diagnostics.extend(refused.into_values());
    plan
}
