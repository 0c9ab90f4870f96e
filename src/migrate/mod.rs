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
//! Guarantees: bytes outside the rewritten ranges (the legacy bindings, and the `services`
//! containers that become empty) are kept as they were, comments inside them move with the text
//! they belong to; an instance whose meaning cannot be kept is refused with a `cannot-migrate`
//! diagnostic that says why and is left untouched; the plan is read back with the rewritten
//! texts (the `read_back` callback) before anything is returned, and an instance whose members
//! per role, settings or extra modules would differ is refused too. Nothing here touches the
//! file system and nothing panics on any input.

//!
//! The stages, one file each: [`check`] decides which instances can be migrated, [`find`]
//! finds the bindings that define them, [`edit`] plans the edits of each, [`apply`] applies
//! them to the files keeping comments, and [`verify`] compares the flake read back.

mod apply;
mod check;
mod edit;
mod find;
mod text;
mod verify;

use crate::diagnostics::{Diagnostic, Kind};
use crate::emit::nix::attr_name;
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
    /// `cannot-migrate` for every refused instance.
    pub diagnostics: Vec<Diagnostic>,
}

/// The flake read back with rewritten texts.
pub struct ReadBack {
    pub inventory: Inventory,
    pub graph: Graph,
    /// Messages of the errors reading it back gave.
    pub errors: Vec<String>,
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
        let failures = verify::verify(flake, inventory, graph, &rewrite.migrated, &back);
        if failures.is_empty() {
            let plan = Plan {
                files: rewrite.files,
                migrated: rewrite.migrated.into_iter().collect(),
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
