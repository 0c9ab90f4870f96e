//! `inventory-gen graph [--instance I] [--machine M]`: instances, their roles and the machines
//! holding them, as JSON (the resolved graph, versioned), Graphviz DOT or a Mermaid flowchart.
//!
//! Nodes are machines and (instance, role) pairs grouped by instance; there is one edge per
//! membership, from the machine to the role, labelled with its reasons (`named`, `tag t`) and
//! dashed when the machine is in the role through tags only. `--instance` keeps one instance
//! (all its roles) and the machines in it; `--machine` keeps one machine and the roles it
//! holds; both together intersect. Names are escaped for each syntax, so any role or tag name
//! gives valid DOT and Mermaid; an unknown `--instance` or `--machine` is a `usage` diagnostic.
//! Legacy `services.<module>.<instance>` are drawn the same way, apart (dashed clusters, edges
//! labelled `legacy`; JSON `legacyServices` and `legacyEdges`, absent in flakes without them);
//! `--machine` applies to them, and `--instance`, which names an `instances` entry, leaves them
//! out.

use super::{
    Context, MachineJson, MembershipJson, ModuleJson, ServiceJson, VERSION, machine_json,
    membership_json, module_json, to_json_text,
};
use crate::diagnostics::{Diagnostic, Kind, did_you_mean};
use crate::read::data::DataKind;
use crate::resolve::{InstanceGraph, LegacyGraph, MachineGraph, RoleGraph};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Which part of the graph to print.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub instance: Option<String>,
    pub machine: Option<String>,
}

/// `graph --format json`.
#[derive(Serialize, Debug)]
pub struct GraphJson {
    pub version: u32,
    pub machines: BTreeMap<String, MachineJson>,
    pub instances: BTreeMap<String, InstanceJson>,
    /// One per membership, sorted by instance, role, machine.
    pub edges: Vec<MembershipJson>,
    /// Legacy `services.<module>.<instance>` (superseded; see `migrate`), by module and instance.
    #[serde(rename = "legacyServices", skip_serializing_if = "BTreeMap::is_empty")]
    pub legacy_services: BTreeMap<String, BTreeMap<String, LegacyInstanceJson>>,
    /// One per legacy membership, sorted by module, instance, role, machine.
    #[serde(rename = "legacyEdges", skip_serializing_if = "Vec::is_empty")]
    pub legacy_edges: Vec<LegacyEdgeJson>,
}

#[derive(Serialize, Debug)]
pub struct LegacyInstanceJson {
    pub location: String,
    /// Each role's `roles/<role>.nix`, relative to the flake.
    pub roles: BTreeMap<String, String>,
}

#[derive(Serialize, Debug)]
pub struct LegacyEdgeJson {
    pub machine: String,
    pub module: String,
    pub instance: String,
    pub role: String,
}

#[derive(Serialize, Debug)]
pub struct InstanceJson {
    pub location: String,
    /// Present (`true`) when the instance's definition holds an error.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub errors: bool,
    pub module: ModuleJson,
    pub roles: BTreeMap<String, RoleJson>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RoleJson {
    pub location: String,
    /// Where `roles.<r>.settings` is written, if anywhere.
    pub settings: Option<String>,
    /// Where each `roles.<r>.tags.<t>.settings` is written.
    pub tag_settings: BTreeMap<String, String>,
    /// `extraModules`: paths relative to the flake, or `<inline module>`.
    pub extra_modules: Vec<String>,
}

/// An instance with the roles selected from it.
type SelectedInstance<'g> = (&'g str, &'g InstanceGraph, Vec<(&'g str, &'g RoleGraph)>);

/// The selected part of the graph, borrowed from it.
struct View<'g> {
    machines: Vec<(&'g str, &'g MachineGraph)>,
    instances: Vec<SelectedInstance<'g>>,
    /// (machine, instance, role).
    edges: Vec<(&'g str, &'g str, &'g str)>,
    /// Legacy instances with the roles selected from them.
    legacy: Vec<(&'g LegacyGraph, Vec<&'g str>)>,
    /// (machine, legacy instance, role), by module, instance, role, machine.
    legacy_edges: Vec<(&'g str, &'g LegacyGraph, &'g str)>,
}

fn unknown(what: &str, name: &str, names: Vec<&str>) -> Diagnostic {
    let d = Diagnostic::new(
        Kind::Usage,
        format!("{what} `{name}` is not in the inventory"),
    );
    match did_you_mean(name, &format!("{what}s"), &names) {
        Some(hint) => d.with_hint(hint),
        None => d.with_hint(format!("the inventory has no {what}s")),
    }
}

fn select<'g>(ctx: &Context<'g>, filter: &Filter) -> Result<View<'g>, Diagnostic> {
    let graph = ctx.graph;
    if let Some(i) = &filter.instance
        && !graph.instances.contains_key(i)
    {
        let names = graph.instances.keys().map(String::as_str).collect();
        return Err(unknown("instance", i, names));
    }
    if let Some(m) = &filter.machine
        && !graph.machines.contains_key(m)
    {
        let names = graph.machines.keys().map(String::as_str).collect();
        return Err(unknown("machine", m, names));
    }
    let keep_instance = |i: &str| filter.instance.as_deref().is_none_or(|f| f == i);
    let keep_machine = |m: &str| filter.machine.as_deref().is_none_or(|f| f == m);

    let mut edges = Vec::new();
    for (iname, instance) in &graph.instances {
        if !keep_instance(iname) {
            continue;
        }
        for (rname, role) in &instance.roles {
            for machine in role.members.keys() {
                if keep_machine(machine) {
                    edges.push((&**machine, iname.as_str(), rname.as_str()));
                }
            }
        }
    }
    let in_edges: BTreeSet<&str> = edges.iter().map(|e| e.0).collect();
    let machines = graph
        .machines
        .iter()
        .filter(|(name, _)| match (&filter.machine, &filter.instance) {
            (Some(m), _) => m == *name,
            (None, Some(_)) => in_edges.contains(name.as_str()),
            (None, None) => true,
        })
        .map(|(name, m)| (name.as_str(), m))
        .collect();
    let held: BTreeSet<(&str, &str)> = edges.iter().map(|e| (e.1, e.2)).collect();
    let instances = graph
        .instances
        .iter()
        .filter(|(name, _)| match (&filter.instance, &filter.machine) {
            (Some(i), _) => i == *name,
            (None, Some(_)) => held.iter().any(|(i, _)| i == name),
            (None, None) => true,
        })
        .map(|(name, instance)| {
            let roles = instance
                .roles
                .iter()
                .filter(|(r, _)| filter.machine.is_none() || held.contains(&(name, r)))
                .map(|(r, role)| (r.as_str(), role))
                .collect();
            (name.as_str(), instance, roles)
        })
        .collect();
    // Legacy instances: every role of the module (as generated), or with `--machine` the roles
    // it holds; none with `--instance`.
    let mut legacy = Vec::new();
    let mut legacy_edges = Vec::new();
    if filter.instance.is_none() {
        for instance in graph.services.values() {
            let mut roles = Vec::new();
            for (rname, role) in &instance.roles {
                let mut members: Vec<&str> = role
                    .machines
                    .iter()
                    .map(String::as_str)
                    .filter(|m| keep_machine(m) && graph.machines.contains_key(*m))
                    .collect();
                members.sort_unstable();
                members.dedup();
                if filter.machine.is_none() || !members.is_empty() {
                    roles.push(rname.as_str());
                }
                legacy_edges.extend(members.into_iter().map(|m| (m, instance, rname.as_str())));
            }
            if !roles.is_empty() || filter.machine.is_none() {
                legacy.push((instance, roles));
            }
        }
    }
    Ok(View {
        machines,
        instances,
        edges,
        legacy,
        legacy_edges,
    })
}

fn to_json(ctx: &Context, view: &View) -> GraphJson {
    let machines = view
        .machines
        .iter()
        .map(|(name, m)| (name.to_string(), machine_json(ctx, name, m)))
        .collect();
    let instances = view
        .instances
        .iter()
        .map(|(name, instance, roles)| {
            let roles = roles
                .iter()
                .map(|(rname, role)| {
                    let extra_modules = role
                        .extra_modules
                        .iter()
                        .map(|d| match &d.kind {
                            DataKind::Path(p) => ctx.path(p),
                            _ => "<inline module>".to_string(),
                        })
                        .collect();
                    let json = RoleJson {
                        location: ctx.location(role.span),
                        settings: role.settings.as_ref().map(|s| ctx.location(s.span)),
                        tag_settings: role
                            .tag_settings
                            .iter()
                            .map(|(t, s)| (t.clone(), ctx.location(s.span)))
                            .collect(),
                        extra_modules,
                    };
                    (rname.to_string(), json)
                })
                .collect();
            let json = InstanceJson {
                location: ctx.location(instance.span),
                errors: ctx.broken.instances.contains(*name),
                module: module_json(ctx, instance),
                roles,
            };
            (name.to_string(), json)
        })
        .collect();
    let edges = view
        .edges
        .iter()
        .filter_map(|(machine, iname, rname)| {
            let role = ctx.graph.instances.get(*iname)?.roles.get(*rname)?;
            let membership = role.members.get(*machine)?;
            Some(membership_json(
                ctx, machine, iname, rname, role, membership,
            ))
        })
        .collect();
    let mut legacy_services: BTreeMap<String, BTreeMap<String, LegacyInstanceJson>> =
        BTreeMap::new();
    for (instance, roles) in &view.legacy {
        let roles = roles
            .iter()
            .filter_map(|r| Some((r.to_string(), ctx.path(&instance.roles.get(*r)?.file))))
            .collect();
        legacy_services
            .entry(instance.module.clone())
            .or_default()
            .insert(
                instance.instance.clone(),
                LegacyInstanceJson {
                    location: ctx.location(instance.span),
                    roles,
                },
            );
    }
    let legacy_edges = view
        .legacy_edges
        .iter()
        .map(|(machine, instance, role)| LegacyEdgeJson {
            machine: machine.to_string(),
            module: instance.module.clone(),
            instance: instance.instance.clone(),
            role: role.to_string(),
        })
        .collect();
    GraphJson {
        version: VERSION,
        machines,
        instances,
        edges,
        legacy_services,
        legacy_edges,
    }
}

/// The selected graph as its JSON record.
pub fn json(ctx: &Context, filter: &Filter) -> Result<GraphJson, Diagnostic> {
    let view = select(ctx, filter)?;
    Ok(to_json(ctx, &view))
}

/// An edge's label and whether it holds through tags only.
fn edge_label(ctx: &Context, machine: &str, instance: &str, role: &str) -> (Vec<String>, bool) {
    let Some(m) = ctx
        .graph
        .instances
        .get(instance)
        .and_then(|i| i.roles.get(role))
        .and_then(|r| r.members.get(machine))
    else {
        return (Vec::new(), false);
    };
    let mut parts = Vec::new();
    let mut named = false;
    for reason in &m.reasons {
        match reason {
            crate::resolve::Reason::Named(_) => {
                named = true;
                parts.push("named".to_string());
            }
            crate::resolve::Reason::Tag { tag, .. } => parts.push(format!("tag {tag}")),
        }
    }
    (parts, !named)
}

fn module_label(module: &ModuleJson) -> String {
    match &module.service {
        ServiceJson::Input { input } => format!("{} from {input}", module.name),
        _ => module.name.clone(),
    }
}

/// A DOT double-quoted string: `"` and `\` escaped, line breaks as `\n`.
fn dot_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Lines joined by DOT's centred line break.
fn dot_lines(lines: &[&str]) -> String {
    let escaped: Vec<String> = lines
        .iter()
        .map(|l| {
            let s = dot_string(l);
            s[1..s.len() - 1].to_string()
        })
        .collect();
    format!("\"{}\"", escaped.join("\\n"))
}

/// How DOT draws a node whose definition holds an error.
const BROKEN_DOT: &str = ", color=\"#cc0000\", penwidth=2";

/// The selected graph in Graphviz DOT.
pub fn dot(ctx: &Context, filter: &Filter) -> Result<String, Diagnostic> {
    let view = select(ctx, filter)?;
    let mut out = String::from("digraph inventory {\n");
    out.push_str(
        "  graph [rankdir=LR, bgcolor=\"white\", fontname=\"Helvetica\", fontsize=11, nodesep=0.3, ranksep=1.2];\n",
    );
    if ctx.broken.any {
        out.push_str(&format!("  // {}\n", super::INCOMPLETE));
    }
    out.push_str("  node [fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str(
        "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\", fontcolor=\"#333333\"];\n",
    );
    for (name, m) in &view.machines {
        let fill = match m.class {
            crate::lower::Class::Nixos => "#dbe9f6",
            crate::lower::Class::Darwin => "#eeeeee",
        };
        let (lines, mark) = if ctx.broken.machines.contains(*name) {
            (vec![*name, m.class.as_str(), "(errors)"], BROKEN_DOT)
        } else {
            (vec![*name, m.class.as_str()], "")
        };
        out.push_str(&format!(
            "  {} [label={}, shape=box, style=\"rounded,filled\", fillcolor=\"{fill}\"{mark}];\n",
            dot_string(&format!("machine:{name}")),
            dot_lines(&lines),
        ));
    }
    for (iname, instance, roles) in &view.instances {
        let module = module_json(ctx, instance);
        let module = format!("({})", module_label(&module));
        let (lines, color) = if ctx.broken.instances.contains(*iname) {
            (
                vec![*iname, &module, "(errors)"],
                "#cc0000\";\n    penwidth=\"2",
            )
        } else {
            (vec![*iname, &module], "#888888")
        };
        out.push_str(&format!(
            "  subgraph {} {{\n    label={};\n    style=\"rounded\";\n    color=\"{color}\";\n",
            dot_string(&format!("cluster_instance:{iname}")),
            dot_lines(&lines),
        ));
        if roles.is_empty() {
            // A cluster needs a node to be drawn.
            out.push_str(&format!(
                "    {} [label=\"no roles\", shape=plaintext];\n",
                dot_string(&format!("instance:{iname}"))
            ));
        }
        for (rname, _) in roles {
            out.push_str(&format!(
                "    {} [label={}, shape=ellipse];\n",
                dot_string(&format!("role:{iname}:{rname}")),
                dot_string(rname),
            ));
        }
        out.push_str("  }\n");
    }
    for (instance, roles) in &view.legacy {
        let id = format!("{}:{}", instance.module, instance.instance);
        out.push_str(&format!(
            "  subgraph {} {{\n    label={};\n    style=\"rounded,dashed\";\n    color=\"#888888\";\n",
            dot_string(&format!("cluster_legacy:{id}")),
            dot_lines(&[
                &format!("services.{}.{}", instance.module, instance.instance),
                "(legacy)"
            ]),
        ));
        if roles.is_empty() {
            out.push_str(&format!(
                "    {} [label=\"no roles\", shape=plaintext];\n",
                dot_string(&format!("legacy:{id}"))
            ));
        }
        for rname in roles {
            out.push_str(&format!(
                "    {} [label={}, shape=ellipse, style=dashed];\n",
                dot_string(&format!("legacy:{id}:{rname}")),
                dot_string(rname),
            ));
        }
        out.push_str("  }\n");
    }
    for (machine, instance, rname) in &view.legacy_edges {
        out.push_str(&format!(
            "  {} -> {} [label=\"legacy\", style=dashed];\n",
            dot_string(&format!("machine:{machine}")),
            dot_string(&format!(
                "legacy:{}:{}:{rname}",
                instance.module, instance.instance
            )),
        ));
    }
    for (machine, iname, rname) in &view.edges {
        let (parts, tags_only) = edge_label(ctx, machine, iname, rname);
        let style = if tags_only { ", style=dashed" } else { "" };
        out.push_str(&format!(
            "  {} -> {} [label={}{style}];\n",
            dot_string(&format!("machine:{machine}")),
            dot_string(&format!("role:{iname}:{rname}")),
            dot_string(&parts.join(", ")),
        ));
    }
    out.push_str("}\n");
    Ok(out)
}

/// Text inside a Mermaid `"…"` label: quotes and markup characters as entity codes.
fn mermaid_text(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The selected graph as a Mermaid flowchart. Node ids are generated (`m1`, `i1`, `i1r1`), so
/// no name can clash with Mermaid's keywords.
pub fn mermaid(ctx: &Context, filter: &Filter) -> Result<String, Diagnostic> {
    let view = select(ctx, filter)?;
    let mut out = String::from("flowchart LR\n");
    if ctx.broken.any {
        out.push_str(&format!("  %% {}\n", super::INCOMPLETE));
    }
    let mark = |broken: bool| if broken { " (errors)" } else { "" };
    let mut machine_ids = BTreeMap::new();
    for (n, (name, m)) in view.machines.iter().enumerate() {
        let id = format!("m{}", n + 1);
        out.push_str(&format!(
            "  {id}[\"{} ({}){}\"]\n",
            mermaid_text(name),
            m.class.as_str(),
            mark(ctx.broken.machines.contains(*name))
        ));
        machine_ids.insert(*name, id);
    }
    let mut role_ids = BTreeMap::new();
    for (n, (iname, instance, roles)) in view.instances.iter().enumerate() {
        let id = format!("i{}", n + 1);
        let module = module_json(ctx, instance);
        out.push_str(&format!(
            "  subgraph {id}[\"{} ({}){}\"]\n",
            mermaid_text(iname),
            mermaid_text(&module_label(&module)),
            mark(ctx.broken.instances.contains(*iname))
        ));
        for (k, (rname, _)) in roles.iter().enumerate() {
            let rid = format!("{id}r{}", k + 1);
            out.push_str(&format!("    {rid}[\"{}\"]\n", mermaid_text(rname)));
            role_ids.insert((*iname, *rname), rid);
        }
        out.push_str("  end\n");
    }
    let mut legacy_ids = BTreeMap::new();
    for (n, (instance, roles)) in view.legacy.iter().enumerate() {
        let id = format!("l{}", n + 1);
        out.push_str(&format!(
            "  subgraph {id}[\"services.{}.{} (legacy)\"]\n",
            mermaid_text(&instance.module),
            mermaid_text(&instance.instance)
        ));
        for (k, rname) in roles.iter().enumerate() {
            let rid = format!("{id}r{}", k + 1);
            out.push_str(&format!("    {rid}[\"{}\"]\n", mermaid_text(rname)));
            legacy_ids.insert((&instance.module, &instance.instance, *rname), rid);
        }
        out.push_str("  end\n");
    }
    for (machine, instance, rname) in &view.legacy_edges {
        let key = (&instance.module, &instance.instance, *rname);
        if let (Some(from), Some(to)) = (machine_ids.get(machine), legacy_ids.get(&key)) {
            out.push_str(&format!("  {from} -.->|\"legacy\"| {to}\n"));
        }
    }
    for (machine, iname, rname) in &view.edges {
        let (Some(from), Some(to)) = (machine_ids.get(machine), role_ids.get(&(*iname, *rname)))
        else {
            continue;
        };
        let (parts, tags_only) = edge_label(ctx, machine, iname, rname);
        let arrow = if tags_only { "-.->" } else { "-->" };
        out.push_str(&format!(
            "  {from} {arrow}|\"{}\"| {to}\n",
            mermaid_text(&parts.join(", "))
        ));
    }
    Ok(out)
}

/// `graph --format json`, as text.
pub fn json_text(ctx: &Context, filter: &Filter) -> Result<String, Diagnostic> {
    Ok(to_json_text(&json(ctx, filter)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_strings_escape_quotes_and_backslashes() {
        assert_eq!(dot_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(dot_lines(&["x\"", "y"]), r#""x\"\ny""#);
    }

    #[test]
    fn mermaid_text_has_no_quotes_or_markup() {
        let t = mermaid_text("a\"<b>#`&\nc");
        assert!(!t.contains(['"', '<', '>', '`', '\n']), "{t}");
        assert_eq!(mermaid_text("peer"), "peer");
    }
}
