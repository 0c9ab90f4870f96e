//! The `resolve` stage: computes every machine's tags and every (instance, role) membership with
//! its provenance, resolves each instance's service module, and checks what can be checked
//! statically: unknown machines, roles, modules and inputs are errors (with suggestions), a tag
//! that matches no machine is a warning.
//!
//! Semantics follow clan-core: tags are a machine's own plus `all`, `nixos`/`darwin` and every
//! `inventory.tags.<t>` naming it (a user definition of `tags.all`/`nixos`/`darwin` replaces the
//! computed one); a machine is in a role when the role names it or carries one of its tags.
//! The work is linear in the size of the inventory plus the number of memberships.
//!
//! Legacy `services.<module>.<instance>` ([`resolve_legacy`]) resolve with clan-core's legacy
//! builder's semantics: the module is the `inventory.modules.<module>` directory and its roles
//! are its `roles/<role>.nix` files; a role's members are its `machines` as written, then the
//! machines carrying each of its `tags` (in the order written, each tag's machines sorted);
//! `enabled = false` skips the instance. Every legacy instance gets a `legacy-service` warning.

use crate::diagnostics::{Diagnostic, Kind, Span, did_you_mean, suggest};
use crate::lower::{Class, Deploy, Inventory, Meta};
use crate::read::data::Data;
use crate::read::{LegacyModule, Module, ModuleSource};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// Why a machine holds a role.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// Named in `roles.<r>.machines`.
    Named(Span),
    /// Carries a tag listed in `roles.<r>.tags`.
    Tag { tag: Arc<str>, span: Span },
}

/// Where a machine's tag comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum TagSource {
    Own(Span),
    /// `inventory.tags.<t>` names the machine.
    Inventory(Span),
    /// `all`, `nixos` or `darwin`.
    Builtin,
}

#[derive(Clone, Debug)]
pub struct Membership {
    pub reasons: Vec<Reason>,
    pub settings: Option<Data>,
    /// The role's tags that have settings and that this machine carries, sorted.
    pub tag_settings: Vec<String>,
}

/// Names that every membership repeats (machines, instances, roles, tags) are `Arc<str>`: one
/// allocation per name, not per membership (90 000 memberships at 5000 machines).
#[derive(Clone, Debug)]
pub struct RoleGraph {
    pub span: Span,
    pub members: BTreeMap<Arc<str>, Membership>,
    pub settings: Option<Data>,
    pub tag_settings: BTreeMap<String, Data>,
    pub extra_modules: Vec<Data>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ServiceRef {
    /// A module of this flake.
    Local { name: String, source: ModuleSource },
    /// `inputs.<input>.clan.modules.<name>`.
    Input { input: String, name: String },
}

#[derive(Clone, Debug)]
pub struct InstanceGraph {
    pub span: Span,
    pub module_name: String,
    pub module_input: Option<String>,
    pub service: ServiceRef,
    pub roles: BTreeMap<String, RoleGraph>,
}

#[derive(Clone, Debug)]
pub struct MachineGraph {
    pub span: Span,
    pub class: Class,
    pub tags: BTreeMap<String, Vec<TagSource>>,
    pub description: Option<String>,
    pub deploy: Deploy,
    /// instance → roles held in it, sorted.
    pub instances: BTreeMap<Arc<str>, Vec<Arc<str>>>,
    /// Legacy (module, instance) → roles held in it.
    pub services: BTreeMap<(String, String), BTreeSet<String>>,
}

/// A role of a legacy instance. Every role of the module has one, used or not, as in clan-core.
#[derive(Clone, Debug)]
pub struct LegacyRoleGraph {
    /// The module's `roles/<role>.nix`.
    pub file: PathBuf,
    /// The members in clan-core's order: `roles.<role>.machines` as written (duplicates kept),
    /// then for each of `roles.<role>.tags` the machines carrying it, sorted.
    pub machines: Vec<String>,
    pub config: Option<Data>,
    pub extra_modules: Vec<Data>,
}

/// `machines.<machine>` of a legacy instance (members only).
#[derive(Clone, Debug)]
pub struct LegacyMachineGraph {
    pub config: Option<Data>,
    pub extra_modules: Vec<Data>,
}

/// An enabled legacy instance `services.<module>.<instance>`.
#[derive(Clone, Debug)]
pub struct LegacyGraph {
    pub span: Span,
    pub module: String,
    pub instance: String,
    pub roles: BTreeMap<String, LegacyRoleGraph>,
    pub config: Option<Data>,
    pub extra_modules: Vec<Data>,
    pub machines: BTreeMap<String, LegacyMachineGraph>,
}

#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub meta: Meta,
    pub machines: BTreeMap<String, MachineGraph>,
    pub instances: BTreeMap<String, InstanceGraph>,
    /// Enabled legacy instances, keyed by (module, instance).
    pub services: BTreeMap<(String, String), LegacyGraph>,
    /// The inventory has legacy `services` (enabled or not): every machine then gets
    /// clan-core's `clan.inventory.services` option, as every clan machine had it.
    pub legacy: bool,
}

const BUILTIN_TAGS: [&str; 3] = ["all", "darwin", "nixos"];

/// Resolves the inventory against the flake's modules and inputs.
pub fn resolve(
    inventory: &Inventory,
    modules: &BTreeMap<String, Module>,
    inputs: &BTreeMap<String, Span>,
) -> (Graph, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut graph = Graph {
        meta: inventory.meta.clone(),
        ..Graph::default()
    };

    for (name, m) in &inventory.machines {
        let mut tags: BTreeMap<String, Vec<TagSource>> = BTreeMap::new();
        for t in &m.tags {
            tags.entry(t.value.clone())
                .or_default()
                .push(TagSource::Own(t.span));
        }
        for builtin in BUILTIN_TAGS {
            let applies = match builtin {
                "all" => true,
                "nixos" => m.class == Class::Nixos,
                _ => m.class == Class::Darwin,
            };
            if applies && !inventory.tags.contains_key(builtin) {
                tags.entry(builtin.to_string())
                    .or_default()
                    .push(TagSource::Builtin);
            }
        }
        graph.machines.insert(
            name.clone(),
            MachineGraph {
                span: m.span,
                class: m.class,
                tags,
                description: m.description.clone(),
                deploy: m.deploy.clone(),
                instances: BTreeMap::new(),
                services: BTreeMap::new(),
            },
        );
    }
    for (tag, members) in &inventory.tags {
        for member in &members.value {
            if let Some(machine) = graph.machines.get_mut(&member.value) {
                machine
                    .tags
                    .entry(tag.clone())
                    .or_default()
                    .push(TagSource::Inventory(member.span));
            }
        }
    }
    // Machines are numbered in name order; memberships are gathered by number, then keyed by
    // name once per role (already sorted, so the maps are built in bulk).
    let machine_list: Vec<(&String, &MachineGraph)> = graph.machines.iter().collect();
    let machine_names: Vec<Arc<str>> = machine_list
        .iter()
        .map(|(n, _)| Arc::from(n.as_str()))
        .collect();
    let index: HashMap<&str, u32> = machine_list
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str(), i as u32))
        .collect();
    let mut tagged: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (i, (_, machine)) in machine_list.iter().enumerate() {
        for tag in machine.tags.keys() {
            tagged.entry(tag.as_str()).or_default().push(i as u32);
        }
    }
    // Where a machine is in the role being resolved (`NONE` when it is not).
    const NONE: u32 = u32::MAX;
    let mut slot: Vec<u32> = vec![NONE; machine_list.len()];
    // Every (machine number, instance, role) held in an instance whose service resolved, in
    // (instance, role) order.
    let mut held: Vec<(u32, Arc<str>, Arc<str>)> = Vec::new();

    let mut instances = BTreeMap::new();
    for (iname, instance) in &inventory.instances {
        let service = resolve_module(instance, modules, inputs, &mut diagnostics);
        if let Some(ServiceRef::Local { name, .. }) = &service
            && let Some(defined) = modules.get(name).and_then(|m| m.roles.as_ref())
        {
            for (role, r) in &instance.roles {
                if !defined.contains_key(role) {
                    let names: Vec<&str> = defined.keys().map(String::as_str).collect();
                    let mut d = Diagnostic::at(
                        Kind::UnknownRole,
                        r.span,
                        format!(
                            "instance `{iname}` uses role `{role}`, which service module `{name}` does not define"
                        ),
                    )
                    .with_label("unknown role");
                    d = d.with_hint(
                        did_you_mean(role, &format!("`{name}` defines"), &names)
                            .unwrap_or_else(|| format!("`{name}` defines no roles")),
                    );
                    if let Some(m) = modules.get(name) {
                        d = d.with_note(m.key_span, "module registered here");
                    }
                    diagnostics.push(d);
                }
            }
        }
        let instance_name: Arc<str> = Arc::from(iname.as_str());
        let mut roles = BTreeMap::new();
        for (rname, role) in &instance.roles {
            let role_name: Arc<str> = Arc::from(rname.as_str());
            // Memberships in the order found, and (machine number, place in `found`) to sort.
            let most = role.machines.len()
                + role
                    .tags
                    .keys()
                    .filter_map(|t| tagged.get(t.as_str()))
                    .map(Vec::len)
                    .sum::<usize>();
            let mut found: Vec<Option<Membership>> = Vec::with_capacity(most);
            let mut order: Vec<(u32, u32)> = Vec::with_capacity(most);
            // Members the inventory does not declare: clan-core accepts them (they are listed
            // to the service but no machine is configured), so they are a warning, not an error.
            let mut undeclared: Vec<(&str, Span)> = Vec::new();
            for (machine, member) in &role.machines {
                let Some(&i) = index.get(machine.as_str()) else {
                    undeclared.push((machine.as_str(), member.span));
                    continue;
                };
                slot[i as usize] = found.len() as u32;
                order.push((i, found.len() as u32));
                found.push(Some(Membership {
                    reasons: vec![Reason::Named(member.span)],
                    settings: member.settings.clone(),
                    tag_settings: Vec::new(),
                }));
            }
            if let Some(&(_, first)) = undeclared.first() {
                let names: Vec<String> = undeclared.iter().map(|(n, _)| format!("`{n}`")).collect();
                let known = machine_list.iter().map(|(n, _)| n.as_str());
                let mut d = Diagnostic::at(
                    Kind::UndeclaredMember,
                    first,
                    format!(
                        "instance `{iname}`, role `{rname}` names {} that the inventory does not declare: {}",
                        if names.len() == 1 { "a machine" } else { "machines" },
                        names.join(", ")
                    ),
                )
                .with_label("named here");
                for &(_, span) in &undeclared[1..] {
                    d = d.with_note(span, "also named here");
                }
                d = match suggest(undeclared[0].0, known) {
                    Some(s) => d.with_hint(format!(
                        "clan-core accepts them but configures no machine for them; did you mean `{s}`? Otherwise declare them under `inventory.machines` or create machines/<name>/"
                    )),
                    None => d.with_hint(
                        "clan-core accepts them but configures no machine for them; declare them under `inventory.machines` or create machines/<name>/",
                    ),
                };
                diagnostics.push(d);
            }
            for (tag, role_tag) in &role.tags {
                let Some(machines) = tagged.get(tag.as_str()) else {
                    let known: Vec<&str> = tagged.keys().copied().collect();
                    let mut d = Diagnostic::at(
                        Kind::UnusedTag,
                        role_tag.span,
                        format!("no machine has tag `{tag}` (instance `{iname}`, role `{rname}`)"),
                    )
                    .with_label("matches nothing");
                    d = d.with_hint(
                        did_you_mean(tag, "tags in use", &known)
                            .unwrap_or_else(|| "no machine has any tag".into()),
                    );
                    diagnostics.push(d);
                    continue;
                };
                let tag: Arc<str> = Arc::from(tag.as_str());
                for &i in machines {
                    let reason = Reason::Tag {
                        tag: tag.clone(),
                        span: role_tag.span,
                    };
                    match slot[i as usize] {
                        NONE => {
                            slot[i as usize] = found.len() as u32;
                            order.push((i, found.len() as u32));
                            found.push(Some(Membership {
                                reasons: vec![reason],
                                settings: None,
                                tag_settings: Vec::new(),
                            }));
                        }
                        at => {
                            if let Some(m) = &mut found[at as usize] {
                                m.reasons.push(reason);
                            }
                        }
                    }
                }
            }
            let mut tag_settings = BTreeMap::new();
            for (tag, role_tag) in &role.tags {
                if let Some(s) = &role_tag.settings {
                    tag_settings.insert(tag.clone(), s.clone());
                }
            }
            order.sort_unstable();
            let mut members: Vec<(Arc<str>, Membership)> = Vec::with_capacity(order.len());
            for (i, at) in order {
                slot[i as usize] = NONE;
                let Some(mut membership) = found[at as usize].take() else {
                    continue;
                };
                let machine = machine_list[i as usize].1;
                // Tag settings apply to every member carrying the tag, however it became a member.
                if !tag_settings.is_empty() {
                    membership.tag_settings = tag_settings
                        .keys()
                        .filter(|t| machine.tags.contains_key(*t))
                        .cloned()
                        .collect();
                }
                if service.is_some() {
                    held.push((i, instance_name.clone(), role_name.clone()));
                }
                members.push((machine_names[i as usize].clone(), membership));
            }
            roles.insert(
                rname.clone(),
                RoleGraph {
                    span: role.span,
                    members: members.into_iter().collect(),
                    settings: role.settings.clone(),
                    tag_settings,
                    extra_modules: role.extra_modules.clone(),
                },
            );
        }
        if let Some(service) = service {
            instances.insert(
                iname.clone(),
                InstanceGraph {
                    span: instance.span,
                    module_name: instance.module_name.value.clone(),
                    module_input: instance.module_input.as_ref().map(|i| i.value.clone()),
                    service,
                    roles,
                },
            );
        }
    }
    // Group `held` by machine, keeping its order (a counting sort): each machine's instances
    // then come in order, and each instance's roles sorted and once.
    let mut start = vec![0usize; machine_list.len() + 1];
    for (i, _, _) in &held {
        start[*i as usize + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut by_machine: Vec<Option<(Arc<str>, Arc<str>)>> = vec![None; held.len()];
    let mut next = start.clone();
    for (i, instance, role) in held {
        by_machine[next[i as usize]] = Some((instance, role));
        next[i as usize] += 1;
    }
    drop(machine_list);
    for (i, machine) in graph.machines.values_mut().enumerate() {
        let held = &mut by_machine[start[i]..start[i + 1]];
        let mut by_instance: Vec<(Arc<str>, Vec<Arc<str>>)> = Vec::with_capacity(held.len());
        let mut held = held.iter_mut().filter_map(Option::take).peekable();
        while let Some((instance, role)) = held.next() {
            let mut roles = vec![role];
            while let Some((_, role)) = held.next_if(|(i, _)| *i == instance) {
                roles.push(role);
            }
            by_instance.push((instance, roles));
        }
        machine.instances = by_instance.into_iter().collect();
    }
    graph.instances = instances;
    (graph, diagnostics)
}

fn resolve_module(
    instance: &crate::lower::Instance,
    modules: &BTreeMap<String, Module>,
    inputs: &BTreeMap<String, Span>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ServiceRef> {
    let name = &instance.module_name.value;
    let local = |m: &Module| ServiceRef::Local {
        name: name.clone(),
        source: m.source.clone(),
    };
    let registered: Vec<&str> = modules.keys().map(String::as_str).collect();
    match instance.module_input.as_ref().map(|i| i.value.as_str()) {
        None => {
            if let Some(m) = modules.get(name) {
                return Some(local(m));
            }
            if inputs.contains_key("clan-core") {
                return Some(ServiceRef::Input {
                    input: "clan-core".into(),
                    name: name.clone(),
                });
            }
            let mut d = Diagnostic::at(
                Kind::UnknownModule,
                instance.module_name.span,
                format!("instance `{}` uses service module `{name}`, which this flake does not register", instance.name),
            )
            .with_label("unknown module");
            d = d.with_hint(match suggest(name, registered.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if registered.is_empty() => "register it with `modules.<name> = ./path;` beside the inventory, or declare the `clan-core` input for its built-in modules".into(),
                None => format!("registered modules: {}", registered.join(", ")),
            });
            diagnostics.push(d);
            None
        }
        Some("self") => match modules.get(name) {
            Some(m) => Some(local(m)),
            None => {
                let mut d = Diagnostic::at(
                    Kind::UnknownModule,
                    instance.module_name.span,
                    format!(
                        "this flake provides no service module `{name}` (`module.input = \"self\"`)"
                    ),
                )
                .with_label("unknown module");
                d = d.with_hint(match suggest(name, registered.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if registered.is_empty() => {
                        "register it with `modules.<name> = ./path;` beside the inventory".into()
                    }
                    None => format!("registered modules: {}", registered.join(", ")),
                });
                diagnostics.push(d);
                None
            }
        },
        Some(input) => {
            if inputs.contains_key(input) {
                return Some(ServiceRef::Input {
                    input: input.to_string(),
                    name: name.clone(),
                });
            }
            let span = instance
                .module_input
                .as_ref()
                .map(|i| i.span)
                .unwrap_or(instance.span);
            let declared: Vec<&str> = inputs.keys().map(String::as_str).collect();
            let mut d = Diagnostic::at(
                Kind::UnknownInput,
                span,
                format!("flake.nix declares no input `{input}`"),
            )
            .with_label("unknown input");
            d = d.with_hint(match suggest(input, declared.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if declared.is_empty() => {
                    "declare it in flake.nix: `inputs.<name>.url = …;`".into()
                }
                None => format!("declared inputs: {}", declared.join(", ")),
            });
            diagnostics.push(d);
            None
        }
    }
}

/// Resolves the legacy `services.<module>.<instance>` of the inventory into `graph` (whose
/// machines and tags [`resolve`] computed) against the legacy clanModule directories.
pub fn resolve_legacy(
    graph: &mut Graph,
    inventory: &Inventory,
    legacy_modules: &BTreeMap<String, LegacyModule>,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut tagged: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, machine) in &graph.machines {
        for tag in machine.tags.keys() {
            tagged.entry(tag.as_str()).or_default().push(name.as_str());
        }
    }
    let mut resolved = BTreeMap::new();
    let mut held: Vec<(String, (String, String), String)> = Vec::new();
    for ((module, iname), instance) in &inventory.services {
        let at = format!(
            "services.{}.{}",
            crate::emit::nix::attr_name(module),
            crate::emit::nix::attr_name(iname)
        );
        let roles = if !legacy_modules.contains_key(module)
            && crate::migrate::builtin::fate(module).is_some()
        {
            // clan-core no longer runs its built-in clanModules: refused, with the way out. Its
            // members are still resolved (from the roles written), for `migrate`.
            diagnostics.push(legacy_builtin(module, iname, &at, instance));
            instance.roles.keys().cloned().collect()
        } else {
            diagnostics.push(
                Diagnostic::at(
                    Kind::LegacyService,
                    instance.span,
                    format!("`{at}` uses the legacy `services` API, which `instances` supersedes"),
                )
                .with_label("legacy instance")
                .with_hint(format!(
                    "run `inventory-gen migrate` to rewrite it as `instances.{}` (`inventory-gen migrate --dry-run` shows the change)",
                    crate::emit::nix::attr_name(iname)
                )),
            );
            let Some(roles) =
                legacy_module_roles(module, instance, legacy_modules, &mut diagnostics)
            else {
                continue;
            };
            roles
        };
        if !instance.enabled.value {
            continue;
        }
        let mut ok = true;
        for (role, r) in &instance.roles {
            if !roles.contains(role) {
                ok = false;
                let names: Vec<&str> = roles.iter().map(String::as_str).collect();
                let mut d = Diagnostic::at(
                    Kind::UnknownRole,
                    r.span,
                    format!(
                        "`{at}` uses role `{role}`, which legacy module `{module}` does not have"
                    ),
                )
                .with_label("unknown role");
                let known = if names.is_empty() {
                    format!("`{module}` has no roles: its roles/ directory has no .nix files")
                } else {
                    format!(
                        "`{module}` has the roles {} (its files roles/<role>.nix)",
                        names.join(", ")
                    )
                };
                d = d.with_hint(match suggest(role, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? {known}"),
                    None => known,
                });
                if let Some(m) = legacy_modules.get(module) {
                    d = d.with_note(m.key_span, "module defined here");
                }
                diagnostics.push(d);
            }
        }
        if !ok {
            continue;
        }
        let module_path = legacy_modules
            .get(module)
            .map(|m| m.path.clone())
            .unwrap_or_default();
        let mut role_graphs = BTreeMap::new();
        for role in &roles {
            let mut machines = Vec::new();
            let (config, extra_modules) = match instance.roles.get(role) {
                None => (None, Vec::new()),
                Some(r) => {
                    for m in &r.machines {
                        if graph.machines.contains_key(&m.value) {
                            machines.push(m.value.clone());
                        } else {
                            diagnostics.push(unknown_machine(&m.value, m.span, graph));
                        }
                    }
                    let mut before = false;
                    for tag in &r.tags {
                        match tagged.get(tag.value.as_str()) {
                            Some(members) => {
                                before = true;
                                machines.extend(members.iter().map(|m| m.to_string()));
                            }
                            None => {
                                let known: Vec<&str> = tagged.keys().copied().collect();
                                let mut hint = did_you_mean(&tag.value, "tags in use", &known)
                                    .unwrap_or_else(|| "no machine has any tag".into());
                                if before {
                                    hint.push_str(
                                        "; clan-core's legacy builder also dropped the machines of the tags listed before this one, inventory-gen keeps them",
                                    );
                                }
                                diagnostics.push(
                                    Diagnostic::at(
                                        Kind::UnusedTag,
                                        tag.span,
                                        format!(
                                            "no machine has tag `{}` (`{at}`, role `{role}`)",
                                            tag.value
                                        ),
                                    )
                                    .with_label("matches nothing")
                                    .with_hint(hint),
                                );
                            }
                        }
                    }
                    (r.config.clone(), r.extra_modules.clone())
                }
            };
            for m in &machines {
                held.push((m.clone(), (module.clone(), iname.clone()), role.clone()));
            }
            role_graphs.insert(
                role.clone(),
                LegacyRoleGraph {
                    file: module_path.join("roles").join(format!("{role}.nix")),
                    machines,
                    config,
                    extra_modules,
                },
            );
        }
        let mut machines = BTreeMap::new();
        for (name, m) in &instance.machines {
            if !graph.machines.contains_key(name) {
                diagnostics.push(unknown_machine(name, m.span, graph));
                continue;
            }
            let member = role_graphs.values().any(|r| r.machines.contains(name));
            if member && (m.config.is_some() || !m.extra_modules.is_empty()) {
                machines.insert(
                    name.clone(),
                    LegacyMachineGraph {
                        config: m.config.clone(),
                        extra_modules: m.extra_modules.clone(),
                    },
                );
            }
        }
        resolved.insert(
            (module.clone(), iname.clone()),
            LegacyGraph {
                span: instance.span,
                module: module.clone(),
                instance: iname.clone(),
                roles: role_graphs,
                config: instance.config.clone(),
                extra_modules: instance.extra_modules.clone(),
                machines,
            },
        );
    }
    for (machine, key, role) in held {
        if let Some(m) = graph.machines.get_mut(&machine) {
            m.services.entry(key).or_default().insert(role);
        }
    }
    graph.services = resolved;
    graph.legacy = !inventory.services.is_empty();
    diagnostics
}

/// The roles of a legacy instance's module, or `None` (with an error) when it has none.
/// `generate`'s refusal of a legacy instance of clan-core's built-in clanModule `module`
/// (the flake defines no `inventory.modules.<module>`): clan-core removed them in 2025.
fn legacy_builtin(
    module: &str,
    iname: &str,
    at: &str,
    instance: &crate::lower::LegacyInstance,
) -> Diagnostic {
    let hint = match crate::migrate::builtin::advice(module) {
        None => format!(
            "run `inventory-gen migrate` to rewrite it as `instances.{}`, an instance of clan-core's clan.service `{module}` (`inventory-gen migrate --dry-run` shows the change)",
            crate::emit::nix::attr_name(&crate::migrate::builtin::target(module, iname))
        ),
        Some(advice) => format!("{advice}; `inventory-gen migrate` migrates the other instances"),
    };
    Diagnostic::at(
        Kind::UnknownModule,
        instance.span,
        format!(
            "`{at}` uses clan-core's built-in clanModule `{module}`, which clan-core removed in 2025 and no longer runs"
        ),
    )
    .with_label("legacy clan-core module")
    .with_hint(hint)
}

fn legacy_module_roles(
    module: &str,
    instance: &crate::lower::LegacyInstance,
    legacy_modules: &BTreeMap<String, LegacyModule>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<BTreeSet<String>> {
    let Some(m) = legacy_modules.get(module) else {
        let known: Vec<&str> = legacy_modules.keys().map(String::as_str).collect();
        let mut d = Diagnostic::at(
            Kind::UnknownModule,
            instance.span,
            format!(
                "legacy service `{module}` has no module: `inventory.modules.{}` is not defined",
                crate::emit::nix::attr_name(module)
            ),
        )
        .with_label("needs a module");
        d = d.with_hint(match suggest(module, known.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "set `inventory.modules.{} = ./path/to/{module};`, a directory with roles/<role>.nix (clan-core's own clanModules were removed in 2025)",
                crate::emit::nix::attr_name(module)
            ),
        });
        diagnostics.push(d);
        return None;
    };
    let problem = if !m.is_dir {
        Some("is not a directory in the flake")
    } else if m.roles.is_none() {
        Some("has no roles/ directory")
    } else {
        None
    };
    if let Some(problem) = problem {
        diagnostics.push(
            Diagnostic::at(
                Kind::UnknownModule,
                m.key_span,
                format!("legacy module `{module}` {problem}"),
            )
            .with_label("defined here")
            .with_note(instance.span, "used here")
            .with_hint(
                "a legacy clanModule is a directory with one file roles/<role>.nix per role",
            ),
        );
        return None;
    }
    m.roles.clone()
}

fn unknown_machine(machine: &str, span: Span, graph: &Graph) -> Diagnostic {
    let names = graph.machines.keys().map(String::as_str);
    let d = Diagnostic::at(
        Kind::UnknownMachine,
        span,
        format!("machine `{machine}` is not in the inventory"),
    )
    .with_label("named here");
    match suggest(machine, names) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_hint("add it under `inventory.machines`, or create machines/<name>/"),
    }
}
