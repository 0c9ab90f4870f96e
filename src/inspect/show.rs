//! `inventory-gen show [MACHINE] [--tag T]…`: why a machine gets each service.
//!
//! With a machine: its class, every tag with where it comes from (its own list,
//! `inventory.tags.<t>`, built-in), and every membership as instance / module / role with the
//! reasons (named in `roles.<r>.machines`, or via tag t) and the settings layers that apply (role,
//! machine, tag t), each with its `file:line:col`. Without one: the machines with class and
//! tags, filtered to those carrying every `--tag`. A machine or tag that does not exist is a
//! `usage` diagnostic with a "did you mean"; nothing else can fail.

use super::{
    Context, INCOMPLETE, LayerJson, MachineJson, ModuleJson, ReasonJson, VERSION, layers_json,
    machine_json, module_json, reasons_json, service_text, to_json_text,
};
use crate::diagnostics::{Diagnostic, Kind, did_you_mean};
use crate::emit::nix::attr_name;
use crate::resolve::MachineGraph;
use serde::Serialize;
use std::collections::BTreeSet;

/// `show MACHINE --format json`.
#[derive(Serialize, Debug)]
pub struct ShowJson {
    pub version: u32,
    pub machine: MachineDetailJson,
}

#[derive(Serialize, Debug)]
pub struct MachineDetailJson {
    pub name: String,
    #[serde(flatten)]
    pub node: MachineJson,
    pub deploy: DeployJson,
    /// Sorted by instance, then role.
    pub memberships: Vec<ShowMembershipJson>,
    /// Roles held in legacy `services.<module>.<instance>`, sorted by module, instance, role.
    #[serde(rename = "legacyServices", skip_serializing_if = "Vec::is_empty")]
    pub legacy_services: Vec<LegacyMembershipJson>,
}

/// A role held in a legacy `services.<module>.<instance>` (superseded; see `migrate`).
#[derive(Serialize, Debug)]
pub struct LegacyMembershipJson {
    pub module: String,
    pub instance: String,
    pub role: String,
    /// Where the instance is defined.
    pub location: String,
    /// The module's `roles/<role>.nix`, relative to the flake.
    pub file: String,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct DeployJson {
    pub target_host: Option<String>,
    pub build_host: Option<String>,
    pub forward_agent: Option<bool>,
}

#[derive(Serialize, Debug)]
pub struct ShowMembershipJson {
    pub instance: String,
    /// Present (`true`) when the instance's definition holds an error.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub errors: bool,
    pub module: ModuleJson,
    pub role: String,
    pub reasons: Vec<ReasonJson>,
    pub settings: Vec<LayerJson>,
}

/// `show --format json` (the list).
#[derive(Serialize, Debug)]
pub struct ListJson {
    pub version: u32,
    /// The `--tag` filters, sorted.
    pub tags: Vec<String>,
    pub machines: Vec<ListedMachineJson>,
}

#[derive(Serialize, Debug)]
pub struct ListedMachineJson {
    pub name: String,
    /// Present (`true`) when the machine's definition holds an error.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub errors: bool,
    pub class: &'static str,
    pub tags: Vec<String>,
}

fn unknown_machine(ctx: &Context, name: &str) -> Diagnostic {
    let names: Vec<&str> = ctx.graph.machines.keys().map(String::as_str).collect();
    let d = Diagnostic::new(
        Kind::Usage,
        format!("machine `{name}` is not in the inventory"),
    );
    match did_you_mean(name, "machines", &names) {
        Some(hint) => d.with_hint(hint),
        None => d.with_hint("the inventory has no machines"),
    }
}

/// The details of one machine.
pub fn details(ctx: &Context, name: &str) -> Result<ShowJson, Diagnostic> {
    let Some(machine) = ctx.graph.machines.get(name) else {
        return Err(unknown_machine(ctx, name));
    };
    let mut memberships = Vec::new();
    for (iname, roles) in &machine.instances {
        let Some(instance) = ctx.graph.instances.get(&**iname) else {
            continue;
        };
        for rname in roles {
            let Some(role) = instance.roles.get(&**rname) else {
                continue;
            };
            let Some(membership) = role.members.get(name) else {
                continue;
            };
            memberships.push(ShowMembershipJson {
                instance: iname.to_string(),
                errors: ctx.broken.instances.contains(&**iname),
                module: module_json(ctx, instance),
                role: rname.to_string(),
                reasons: reasons_json(ctx, &membership.reasons),
                settings: layers_json(ctx, role, membership),
            });
        }
    }
    let mut legacy_services = Vec::new();
    for ((module, instance), roles) in &machine.services {
        let Some(legacy) = ctx.graph.services.get(&(module.clone(), instance.clone())) else {
            continue;
        };
        for role in roles {
            legacy_services.push(LegacyMembershipJson {
                module: module.clone(),
                instance: instance.clone(),
                role: role.clone(),
                location: ctx.location(legacy.span),
                file: legacy
                    .roles
                    .get(role)
                    .map(|r| ctx.path(&r.file))
                    .unwrap_or_default(),
            });
        }
    }
    Ok(ShowJson {
        version: VERSION,
        machine: MachineDetailJson {
            name: name.to_string(),
            node: machine_json(ctx, name, machine),
            deploy: DeployJson {
                target_host: machine.deploy.target_host.clone(),
                build_host: machine.deploy.build_host.clone(),
                forward_agent: machine.deploy.forward_agent,
            },
            memberships,
            legacy_services,
        },
    })
}

/// `show MACHINE`, as text or JSON.
pub fn machine(ctx: &Context, name: &str, json: bool) -> Result<String, Diagnostic> {
    let details = details(ctx, name)?;
    if json {
        return Ok(to_json_text(&details));
    }
    let mut text = render_details(&details.machine);
    if ctx.broken.any {
        text.push_str(&format!("\n{INCOMPLETE}\n"));
    }
    Ok(text)
}

fn render_details(m: &MachineDetailJson) -> String {
    let mut out = format!("machine {}\n", m.name);
    out.push_str(&format!("  class        {}\n", m.node.class));
    out.push_str(&format!("  defined at   {}\n", m.node.location));
    if m.node.errors {
        out.push_str("  (errors)     its definition holds an error\n");
    }
    if let Some(d) = &m.node.description {
        out.push_str(&format!("  description  {d}\n"));
    }
    if let Some(t) = &m.deploy.target_host {
        out.push_str(&format!("  deploys to   {t}\n"));
    }

    out.push_str("\ntags\n");
    let width = m
        .node
        .tags
        .keys()
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    for (tag, sources) in &m.node.tags {
        for (i, source) in sources.iter().enumerate() {
            let label = if i == 0 { tag.as_str() } else { "" };
            let why = match (source.source, &source.location) {
                ("own", Some(at)) => format!("own tags at {at}"),
                ("inventory", Some(at)) => format!("inventory.tags.{} at {at}", attr_name(tag)),
                _ if tag == "all" => "built-in (every machine)".to_string(),
                _ => format!("built-in (machineClass {})", m.node.class),
            };
            out.push_str(&format!("  {label:<width$}{why}\n"));
        }
    }

    if !m.legacy_services.is_empty() {
        out.push_str("\nlegacy services (module / instance / role; superseded, see `inventory-gen migrate`)\n");
        for l in &m.legacy_services {
            out.push_str(&format!("  {} / {} / {}\n", l.module, l.instance, l.role));
            out.push_str(&format!("    defined   {}\n", l.location));
            out.push_str(&format!("    imports   {}\n", l.file));
        }
    }
    if m.memberships.is_empty() {
        out.push_str("\nmemberships: none\n");
        return out;
    }
    out.push_str("\nmemberships (instance / module / role)\n");
    for ms in &m.memberships {
        out.push_str(&format!(
            "  {} / {} / {}\n",
            ms.instance, ms.module.name, ms.role
        ));
        out.push_str(&format!("    module    {}\n", service_text(&ms.module)));
        if ms.errors {
            out.push_str("    (errors)  the instance's definition holds an error\n");
        }
        let role = attr_name(&ms.role);
        for (i, r) in ms.reasons.iter().enumerate() {
            let head = if i == 0 { "why" } else { "" };
            let text = match &r.tag {
                None => format!("named in roles.{role}.machines at {}", r.location),
                Some(t) => format!("via tag {t} in roles.{role}.tags at {}", r.location),
            };
            out.push_str(&format!("    {head:<10}{text}\n"));
        }
        if ms.settings.is_empty() {
            out.push_str("    settings  none\n");
        }
        for (i, l) in ms.settings.iter().enumerate() {
            let head = if i == 0 { "settings" } else { "" };
            let text = match &l.tag {
                None => format!("{} settings at {}", l.layer, l.location),
                Some(t) => format!("tag {t} settings at {}", l.location),
            };
            out.push_str(&format!("    {head:<10}{text}\n"));
        }
    }
    out
}

fn unknown_tag(ctx: &Context, tag: &str) -> Diagnostic {
    let known: BTreeSet<&str> = ctx
        .graph
        .machines
        .values()
        .flat_map(|m| m.tags.keys().map(String::as_str))
        .collect();
    let d = Diagnostic::new(Kind::Usage, format!("no machine carries tag `{tag}`"));
    let list: Vec<&str> = known.iter().copied().collect();
    match did_you_mean(tag, "tags in use", &list) {
        Some(hint) => d.with_hint(hint),
        None => d.with_hint("the inventory has no machines"),
    }
}

/// The machines carrying every tag in `tags`.
pub fn list(ctx: &Context, tags: &[String]) -> Result<ListJson, Diagnostic> {
    for tag in tags {
        if !ctx
            .graph
            .machines
            .values()
            .any(|m| m.tags.contains_key(tag))
        {
            return Err(unknown_tag(ctx, tag));
        }
    }
    let carries = |m: &MachineGraph| tags.iter().all(|t| m.tags.contains_key(t));
    let machines = ctx
        .graph
        .machines
        .iter()
        .filter(|(_, m)| carries(m))
        .map(|(name, m)| ListedMachineJson {
            name: name.clone(),
            errors: ctx.broken.machines.contains(name),
            class: m.class.as_str(),
            tags: m.tags.keys().cloned().collect(),
        })
        .collect();
    let mut filter: Vec<String> = tags.to_vec();
    filter.sort();
    filter.dedup();
    Ok(ListJson {
        version: VERSION,
        tags: filter,
        machines,
    })
}

/// `show [--tag T]…`, as text or JSON.
pub fn machines(ctx: &Context, tags: &[String], json: bool) -> Result<String, Diagnostic> {
    let list = list(ctx, tags)?;
    if json {
        return Ok(to_json_text(&list));
    }
    if list.machines.is_empty() {
        return Ok(if list.tags.is_empty() {
            "the inventory has no machines\n".to_string()
        } else {
            format!("no machine carries all of: {}\n", list.tags.join(", "))
        });
    }
    let name_width = list
        .machines
        .iter()
        .map(|m| m.name.chars().count())
        .max()
        .unwrap_or(0)
        .max("MACHINE".len())
        + 2;
    let mut out = format!("{:<name_width$}{:<8}TAGS\n", "MACHINE", "CLASS");
    for m in &list.machines {
        out.push_str(&format!(
            "{:<name_width$}{:<8}{}{}\n",
            m.name,
            m.class,
            m.tags.join(", "),
            if m.errors { "  (errors)" } else { "" }
        ));
    }
    if ctx.broken.any {
        out.push_str(&format!("\n{INCOMPLETE}\n"));
    }
    Ok(out)
}
