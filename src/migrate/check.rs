//! Which legacy instances `migrate` can rewrite: the meaning of each must be expressible in
//! `instances` (a clan.service module with the roles it uses, settings per role, extra modules
//! per role), and what its rewrite needs to know is collected in an [`Info`].
//!
//! Guarantees: pure; an instance that cannot be kept as it means is refused with a
//! `cannot-migrate` diagnostic saying why and what to change, never rewritten in part.

use super::{builtin, refusal};
use crate::diagnostics::Diagnostic;
use crate::emit::nix::attr_name;
use crate::lower::{Inventory, LegacyInstance};
use crate::read::data::{Data, DataKind};
use crate::read::{Flake, ModuleSource};
use crate::resolve::Graph;
use std::collections::{BTreeMap, BTreeSet};

/// What a migrated instance needs to know about its flake.
pub(super) struct Info {
    pub(super) module: String,
    /// The name of the `instances` entry it becomes.
    pub(super) target: String,
    /// `module.input`: `self`, or clan-core's input for its built-in modules.
    pub(super) input: String,
    /// It used clan-core's built-in clanModule (the flake defines no `inventory.modules.<m>`).
    pub(super) builtin: bool,
    /// The roles the instance writes: where its `config` and `extraModules` go.
    pub(super) roles: Vec<String>,
    /// The roles of each member that has `machines.<m>.config`, where that config goes: the
    /// one role it holds (a local module), or every role it holds (clan-core's modules, as
    /// clan-core's guide moves it).
    pub(super) machine_roles: BTreeMap<String, Vec<String>>,
}

/// Whether the legacy instances of `module` used clan-core's built-in clanModule and become
/// instances of clan-core's clan.service of the same name.
pub(super) fn is_builtin(flake: &Flake, module: &str) -> bool {
    !flake.legacy_modules.contains_key(module) && builtin::fate(module).is_some()
}

/// The name of the `instances` entry the legacy instance `key` becomes.
pub(super) fn target_of(flake: &Flake, key: &super::Key) -> String {
    if is_builtin(flake, &key.0) {
        builtin::target(&key.0, &key.1)
    } else {
        key.1.clone()
    }
}

/// Keys a `settings` value may not have: a settings value is a module, and these are module
/// keywords there.
pub(super) const MODULE_KEYWORDS: [&str; 8] = [
    "_class",
    "_file",
    "config",
    "disabledModules",
    "freeformType",
    "imports",
    "key",
    "options",
];

/// Whether the meaning of a legacy instance can be kept in `instances`, and what its rewrite
/// needs to know.
pub(super) fn check(
    flake: &Flake,
    inventory: &Inventory,
    graph: &Graph,
    instance: &LegacyInstance,
) -> Result<Info, Diagnostic> {
    let key = (instance.module.clone(), instance.name.clone());
    let module = &instance.module;
    let name = &instance.name;
    if is_builtin(flake, module)
        && let Some(advice) = builtin::advice(module)
    {
        return Err(refusal(
            instance,
            &format!(
                "it uses clan-core's built-in clanModule `{module}`, which clan-core removed, and its migration guide has no clan.service `{module}` to move it to"
            ),
            &advice,
        ));
    }
    if !instance.enabled.value {
        return Err(refusal(
            instance,
            "it is disabled (`enabled = false`), and `instances` have no such switch",
            "delete the instance (it configures nothing) or enable it, then run migrate again",
        ));
    }
    if instance.meta.is_some() {
        return Err(refusal(
            instance,
            "`meta` has no equivalent in `instances`",
            "remove `meta` (it only labelled the instance), then run migrate again",
        ));
    }
    let builtin = is_builtin(flake, module);
    let target_name = target_of(flake, &key);
    if let Some(existing) = inventory.instances.get(&target_name) {
        if !builtin {
            return Err(refusal(
                instance,
                &format!("`instances.{}` already exists", attr_name(name)),
                "rename one of the two, then run migrate again",
            ));
        }
        return Err(refusal(
            instance,
            &format!(
                "it would become `instances.{}`, which already exists",
                attr_name(&target_name)
            ),
            "rename one of the two, then run migrate again",
        )
        .with_note(existing.span, "the existing instance"));
    }
    let collides =
        |(k, _): &(&super::Key, &LegacyInstance)| **k != key && target_of(flake, k) == target_name;
    if let Some(((other_module, other_name), other)) = inventory.services.iter().find(collides) {
        if !builtin && !is_builtin(flake, other_module) {
            return Err(refusal(
                instance,
                &format!(
                    "`services.{}.{}` has the same instance name, and `instances` have one namespace",
                    attr_name(other_module),
                    attr_name(name)
                ),
                "rename one of the two, then run migrate again",
            ));
        }
        return Err(refusal(
            instance,
            &format!(
                "it would become `instances.{}`, and so would `services.{}.{}`",
                attr_name(&target_name),
                attr_name(other_module),
                attr_name(other_name)
            ),
            "rename one of the two, then run migrate again",
        )
        .with_note(other.span, "the other instance"));
    }

    let used: Vec<&str> = instance.roles.keys().map(String::as_str).collect();
    let input = if builtin {
        if !flake.inputs.contains_key(builtin::INPUT) {
            return Err(refusal(
                instance,
                &format!(
                    "it uses clan-core's built-in clanModule `{module}`, whose clan.service is taken from the flake input `{}`, which flake.nix does not declare",
                    builtin::INPUT
                ),
                &format!(
                    "declare it in flake.nix (`inputs.{}.url = \"git+https://git.clan.lol/clan/clan-core\";`), then run migrate again",
                    builtin::INPUT
                ),
            ));
        }
        // clan-core's services are not read here: their roles are the ones written (clan-core
        // checks them when it evaluates the instance).
        builtin::INPUT.to_string()
    } else {
        local_target(flake, instance, &used)?;
        "self".to_string()
    };

    // Settings are per role; legacy `config` went into one `clan.<module>` option.
    let keywords = |d: &Option<Data>| -> Option<String> {
        let attrs = d.as_ref()?.as_attrs()?;
        MODULE_KEYWORDS
            .iter()
            .find(|k| attrs.contains_key(**k))
            .map(|k| k.to_string())
    };
    let mut layers: Vec<(String, &Option<Data>)> = vec![("config".into(), &instance.config)];
    for (r, role) in &instance.roles {
        layers.push((format!("roles.{}.config", attr_name(r)), &role.config));
    }
    for (m, machine) in &instance.machines {
        layers.push((format!("machines.{}.config", attr_name(m)), &machine.config));
    }
    for (place, layer) in &layers {
        if let Some(k) = keywords(layer) {
            return Err(refusal(
                instance,
                &format!(
                    "`{place}` has the key `{k}`, which a settings module reads as a module keyword"
                ),
                "set that option in a NixOS module instead (an `extraModules` entry), then run migrate again",
            ));
        }
    }
    let roles_of = |m: &str| -> BTreeSet<String> {
        graph
            .machines
            .get(m)
            .and_then(|g| g.services.get(&key))
            .cloned()
            .unwrap_or_default()
    };
    let members: BTreeSet<&String> = graph
        .services
        .get(&key)
        .map(|g| g.roles.values().flat_map(|r| r.machines.iter()).collect())
        .unwrap_or_default();
    // clan-core's guide copies each config into every role it reaches.
    for m in members.iter().filter(|_| !builtin) {
        let roles = roles_of(m);
        if roles.len() < 2 {
            continue;
        }
        let reached = instance.config.is_some()
            || instance
                .machines
                .get(*m)
                .is_some_and(|x| x.config.is_some())
            || roles.iter().any(|r| {
                instance
                    .roles
                    .get(r)
                    .is_some_and(|role| role.config.is_some())
            });
        if reached {
            let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
            return Err(refusal(
                instance,
                &format!(
                    "machine `{m}` holds the roles {}, and the `config` reaching it went into one option `clan.{module}`, while `instances` settings are per role",
                    roles.join(" and ")
                ),
                "split the config by role (`roles.<role>.config`) so that each machine receives it through one role, or migrate this instance by hand",
            ));
        }
    }
    if instance.config.is_some() {
        if instance.roles.is_empty() {
            return Err(refusal(
                instance,
                "its `config` reaches no machine (it has no roles)",
                "remove the `config`, then run migrate again",
            ));
        }
        if let Some((r, _)) = instance.roles.iter().find(|(_, r)| r.config.is_some()) {
            return Err(refusal(
                instance,
                &format!(
                    "both `config` and `roles.{}.config` would become `roles.{}.settings`, which can be defined once",
                    attr_name(r),
                    attr_name(r)
                ),
                "move the instance-level `config` into the config of each role, then run migrate again",
            ));
        }
    }
    let open_module = instance
        .extra_modules
        .iter()
        .chain(instance.roles.values().flat_map(|r| r.extra_modules.iter()))
        .any(|d| matches!(d.kind, DataKind::Attrs(_)));
    if open_module {
        return Err(refusal(
            instance,
            "an `extraModules` entry is a module written inline that refers to files or names around it, which `instances` here take only as paths or closed modules",
            "put that module in a file and list its path, then run migrate again",
        ));
    }
    let mut machine_roles = BTreeMap::new();
    for (m, machine) in &instance.machines {
        if !machine.extra_modules.is_empty() {
            return Err(refusal(
                instance,
                &format!(
                    "`machines.{}.extraModules` has no equivalent: `instances` import extra modules per role",
                    attr_name(m)
                ),
                &format!(
                    "import that module in the configuration of `{m}` instead, then run migrate again"
                ),
            ));
        }
        if machine.config.is_none() {
            continue;
        }
        let roles = roles_of(m);
        match roles.iter().next() {
            Some(_) if builtin || roles.len() == 1 => {
                machine_roles.insert(m.clone(), roles.into_iter().collect::<Vec<_>>());
            }
            _ => {
                return Err(refusal(
                    instance,
                    &format!(
                        "`machines.{}.config` reaches no machine (`{m}` holds no role here)",
                        attr_name(m)
                    ),
                    "remove it (it has no effect), then run migrate again",
                ));
            }
        }
    }
    if !instance.extra_modules.is_empty() {
        if instance.roles.is_empty() {
            return Err(refusal(
                instance,
                "its `extraModules` reach no machine (it has no roles)",
                "remove them, then run migrate again",
            ));
        }
        if let Some((r, _)) = instance
            .roles
            .iter()
            .find(|(_, r)| !r.extra_modules.is_empty())
        {
            return Err(refusal(
                instance,
                &format!(
                    "both `extraModules` and `roles.{}.extraModules` would become `roles.{}.extraModules`",
                    attr_name(r),
                    attr_name(r)
                ),
                "list the instance-level modules in the extraModules of each role, then run migrate again",
            ));
        }
        let inline = instance
            .extra_modules
            .iter()
            .any(|d| !matches!(d.kind, DataKind::Path(_) | DataKind::Str(_)));
        if let Some(m) = members.iter().find(|m| roles_of(m).len() > 1)
            && inline
        {
            return Err(refusal(
                instance,
                &format!(
                    "machine `{m}` holds several roles, so the inline module of `extraModules` would be imported once per role"
                ),
                "put the module in a file and list its path, then run migrate again",
            ));
        }
    }
    Ok(Info {
        module: module.clone(),
        target: target_name,
        input,
        builtin,
        roles: instance.roles.keys().cloned().collect(),
        machine_roles,
    })
}

/// A local legacy module's instance needs a clan.service module registered under
/// `modules.<module>` that defines the roles it uses: the legacy clanModule directory cannot
/// serve `instances`.
fn local_target(flake: &Flake, instance: &LegacyInstance, used: &[&str]) -> Result<(), Diagnostic> {
    let module = &instance.module;
    // The target: a clan.service module registered under `modules.<module>`.
    let legacy_path = flake.legacy_modules.get(module).map(|m| &m.path);
    let target = flake
        .modules
        .get(module)
        .filter(|m| !matches!(&m.source, ModuleSource::Path(p) if Some(p) == legacy_path));
    let Some(target) = target else {
        return Err(refusal(
            instance,
            &format!(
                "`instances` need a clan.service module `{module}`, and this flake registers none (`inventory.modules.{}` is a legacy clanModule, a NixOS module)",
                attr_name(module)
            ),
            &format!(
                "write a clan.service module `{module}` with the roles {} and register it with `modules.{} = ./…;` beside the inventory, then run migrate again (for clan-core's built-in `{module}`, rewrite the instance by hand with `module.input = \"clan-core\"` after checking its roles and settings)",
                if used.is_empty() {
                    "it needs".to_string()
                } else {
                    used.join(", ")
                },
                attr_name(module)
            ),
        ));
    };
    let Some(defined) = &target.roles else {
        return Err(refusal(
            instance,
            &format!("the roles of clan.service module `{module}` cannot be read statically"),
            "write its `roles` as an attribute set (in the module or the files it imports), then run migrate again",
        ));
    };
    let missing: Vec<&str> = used
        .iter()
        .copied()
        .filter(|r| !defined.contains_key(*r))
        .collect();
    if !missing.is_empty() {
        let names: Vec<&str> = defined.keys().map(String::as_str).collect();
        return Err(refusal(
            instance,
            &format!(
                "clan.service module `{module}` does not define the role{} {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ),
            &format!(
                "`{module}` defines: {}; add the missing roles to it, then run migrate again",
                names.join(", ")
            ),
        ));
    }
    Ok(())
}
