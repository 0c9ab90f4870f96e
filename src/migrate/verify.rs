//! Verifying the result: the flake read back with the rewritten texts must hold, for each
//! migrated instance, no legacy instance, an instance of the target module with the same
//! members per role, the settings where the config was and the same extra modules; and every
//! legacy instance left alone keeps its members.
//!
//! Guarantees: pure; a difference is a reason (the instance is then refused), so a rewrite
//! that would change the meaning of the fleet is never written.

use super::check::Info;
use super::{Key, ReadBack, dotted};
use crate::emit::nix::attr_name;
use crate::lower::{Inventory, LegacyInstance};
use crate::read::Flake;
use crate::read::data::{Data, DataKind};
use crate::read::merge::same_value;
use crate::resolve::Graph;
use std::collections::{BTreeMap, BTreeSet};

/// What read back must hold for each migrated instance: no legacy instance, an instance of the
/// clan.service module with the same members per role, the settings where the config was and
/// the same extra modules. Returns the reason for each instance that fails.
pub(super) fn verify(
    flake: &Flake,
    inventory: &Inventory,
    graph: &Graph,
    migrated: &BTreeSet<Key>,
    accepted: &BTreeMap<&Key, &Info>,
    back: &ReadBack,
) -> BTreeMap<Key, String> {
    let mut failures = BTreeMap::new();
    if let Some(first) = back.errors.first() {
        for key in migrated {
            failures.insert(
                key.clone(),
                format!("the rewritten files do not read back cleanly ({first})"),
            );
        }
        return failures;
    }
    for key in migrated {
        let (Some(instance), Some(old), Some(info)) = (
            inventory.services.get(key),
            graph.services.get(key),
            accepted.get(key),
        ) else {
            continue;
        };
        if let Some(reason) = compare(flake, instance, old, info, back) {
            failures.insert(key.clone(), reason);
        }
    }
    // Legacy instances that were not migrated keep their members.
    for (key, old) in &graph.services {
        if migrated.contains(key) {
            continue;
        }
        let same = back.graph.services.get(key).is_some_and(|new| {
            old.roles
                .iter()
                .all(|(r, role)| new.roles.get(r).map(|n| &n.machines) == Some(&role.machines))
        });
        if !same {
            for m in migrated {
                failures.entry(m.clone()).or_insert_with(|| {
                    format!(
                        "the rewrite would change `{}`, which is not migrated",
                        dotted(key)
                    )
                });
            }
        }
    }
    failures
}

pub(super) fn compare(
    flake: &Flake,
    instance: &LegacyInstance,
    old: &crate::resolve::LegacyGraph,
    info: &Info,
    back: &ReadBack,
) -> Option<String> {
    let name = &info.target;
    let key = (instance.module.clone(), instance.name.clone());
    if back.inventory.services.contains_key(&key) {
        return Some("part of it would remain in `services`".into());
    }
    let Some(new) = back.graph.instances.get(name) else {
        return Some(format!(
            "`instances.{}` would not be read back",
            attr_name(name)
        ));
    };
    if new.module_name != instance.module
        || new.module_input.as_deref() != Some(info.input.as_str())
    {
        return Some("its `module` would not read back".into());
    }
    for r in new.roles.keys() {
        if !old.roles.contains_key(r) {
            return Some(format!("role `{r}` would appear"));
        }
    }
    let none = Vec::new();
    for (r, role) in &old.roles {
        let before: BTreeSet<&str> = role.machines.iter().map(String::as_str).collect();
        let after: BTreeSet<&str> = new
            .roles
            .get(r)
            .map(|n| n.members.keys().map(|k| &**k).collect())
            .unwrap_or_default();
        if before != after {
            return Some(format!("the members of role `{r}` would change"));
        }
        let Some(new_role) = new.roles.get(r) else {
            continue;
        };
        let expected = instance
            .config
            .as_ref()
            .or(instance.roles.get(r).and_then(|x| x.config.as_ref()));
        if !same_opt(expected, new_role.settings.as_ref()) {
            return Some(format!(
                "the settings of role `{r}` would differ from its config"
            ));
        }
        for (m, membership) in &new_role.members {
            let expected = instance.machines.get(&**m).and_then(|x| x.config.as_ref());
            if !same_opt(expected, membership.settings.as_ref()) {
                return Some(format!(
                    "the settings of `{m}` in role `{r}` would differ from its config"
                ));
            }
        }
        let mut expected: Vec<Data> = Vec::new();
        for d in instance.extra_modules.iter().chain(
            instance
                .roles
                .get(r)
                .map(|x| &x.extra_modules)
                .unwrap_or(&none),
        ) {
            expected.push(match &d.kind {
                DataKind::Str(s) => Data::new(
                    DataKind::Path(crate::read::eval::normalize(&flake.root.join(s))),
                    d.span,
                ),
                _ => d.clone(),
            });
        }
        let actual = &new_role.extra_modules;
        if expected.len() != actual.len()
            || !expected.iter().zip(actual).all(|(a, b)| same_value(a, b))
        {
            return Some(format!("the extraModules of role `{r}` would differ"));
        }
    }
    None
}

pub(super) fn same_opt(a: Option<&Data>, b: Option<&Data>) -> bool {
    let empty = |d: Option<&Data>| d.is_none_or(|d| d.as_attrs().is_some_and(|a| a.is_empty()));
    match (a, b) {
        (Some(a), Some(b)) => same_value(a, b),
        _ => empty(a) && empty(b),
    }
}
