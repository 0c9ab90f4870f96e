//! Inspecting a resolved inventory without evaluating Nix: `show` (one machine, or the list of
//! machines) and `graph` (instances, roles and machines as JSON, DOT or Mermaid).
//!
//! Both read only the [`Graph`] that `resolve` built and the [`SourceMap`] it points into, so
//! what they print is what `generate` writes: the same memberships, for the same reasons. This
//! module holds what they share: the JSON records (with the format's `version`), provenance
//! wording and locations. Locations are `file:line:col` with the file relative to the flake
//! (1-based line, column in characters), paths are relative to the flake (`./services/mesh`),
//! and every list is sorted, so outputs are deterministic and free of absolute paths. Nothing
//! here fails: every name looked up was produced by `resolve` from the same graph.
//!
//! An inventory with errors is still shown: the graph holds what resolved, and [`Broken`] marks
//! the machines and instances whose definitions hold an error (`errors: true` in JSON, a mark
//! in text and graphs); what could not be resolved at all is missing, which the output says.

pub mod graph;
pub mod show;

use crate::diagnostics::{Diagnostic, SourceMap, Span};
use crate::read::ModuleSource;
use crate::read::data::{Data, DataKind};
use crate::resolve::{
    Graph, InstanceGraph, MachineGraph, Membership, Reason, RoleGraph, ServiceRef, TagSource,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The version of the JSON formats of `show` and `graph`. It changes only when a field is
/// removed or changes meaning; new fields may be added within a version.
pub const VERSION: u32 = 1;

/// What locations and paths are relative to.
pub struct Context<'a> {
    pub graph: &'a Graph,
    pub sources: &'a SourceMap,
    /// The flake's root directory (canonical).
    pub root: &'a Path,
    /// What the errors of this run touch (empty when there are none).
    pub broken: &'a Broken,
}

/// The machines and instances whose definitions hold an error, by name, and whether there are
/// errors at all (some, such as a syntax error in another file, belong to neither).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Broken {
    pub any: bool,
    pub machines: std::collections::BTreeSet<String>,
    pub instances: std::collections::BTreeSet<String>,
}

impl Broken {
    /// Finds, for every error with a location, the `inventory.machines.<m>` or
    /// `inventory.instances.<i>` whose definition (in any file it is spread over) contains it.
    pub fn find(inventory: Option<&Data>, diagnostics: &[Diagnostic]) -> Broken {
        let errors: Vec<Span> = diagnostics
            .iter()
            .filter(|d| d.is_error())
            .filter_map(|d| d.span)
            .collect();
        let mut broken = Broken {
            any: diagnostics.iter().any(Diagnostic::is_error),
            ..Broken::default()
        };
        let Some(DataKind::Attrs(top)) = inventory.map(|d| &d.kind) else {
            return broken;
        };
        for (section, names) in [
            ("machines", &mut broken.machines),
            ("instances", &mut broken.instances),
        ] {
            let Some(DataKind::Attrs(entries)) = top.get(section).map(|e| &e.value.kind) else {
                continue;
            };
            for (name, entry) in entries {
                let mut spans = vec![entry.key_span];
                collect_spans(&entry.value, &mut spans);
                if errors
                    .iter()
                    .any(|e| spans.iter().any(|s| contains(*s, *e)))
                {
                    names.insert(name.clone());
                }
            }
        }
        broken
    }
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start <= inner.start && inner.end <= outer.end
}

/// Every span of a value and its parts (a value merged from several files has parts in each).
fn collect_spans(data: &Data, out: &mut Vec<Span>) {
    out.push(data.span);
    match &data.kind {
        DataKind::List(items) => items.iter().for_each(|d| collect_spans(d, out)),
        DataKind::Attrs(entries) => {
            for entry in entries.values() {
                out.push(entry.key_span);
                collect_spans(&entry.value, out);
            }
        }
        DataKind::Override { content, .. } => collect_spans(content, out),
        _ => {}
    }
}

/// The line printed under text output when the inventory has errors.
pub const INCOMPLETE: &str = "the inventory has errors (listed on stderr): what is marked (errors) holds one, and what could not be resolved is left out";

impl Context<'_> {
    /// `file:line:col` of a span, the file relative to the flake.
    pub fn location(&self, span: Span) -> String {
        self.sources.location(span)
    }

    /// A path relative to the flake, as `./dir/file`; a path outside it is shown as it is.
    pub fn path(&self, path: &Path) -> String {
        match path.strip_prefix(self.root) {
            Ok(relative) if relative.as_os_str().is_empty() => ".".to_string(),
            Ok(relative) => {
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                format!("./{}", parts.join("/"))
            }
            Err(_) => path.display().to_string(),
        }
    }
}

/// One source of a machine's tag.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct TagSourceJson {
    /// `own` (the machine's `tags`), `inventory` (`inventory.tags.<t>` names it) or `builtin`
    /// (`all`, `nixos`, `darwin`).
    pub source: &'static str,
    /// Where the tag or the machine's name in `inventory.tags.<t>` is written; absent for
    /// built-in tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// Why a machine holds a role.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct ReasonJson {
    /// `named` (in `roles.<r>.machines`) or `tag` (carries one of `roles.<r>.tags`).
    pub kind: &'static str,
    /// The tag, for `kind = "tag"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Where the machine's name or the tag is written in the role.
    pub location: String,
}

/// A settings layer that applies to a membership, in the order the module system gets them.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct LayerJson {
    /// `role` (`roles.<r>.settings`), `machine` (`roles.<r>.machines.<m>.settings`) or `tag`
    /// (`roles.<r>.tags.<t>.settings`, for each of the role's tags the machine carries).
    pub layer: &'static str,
    /// The tag, for `layer = "tag"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Where the settings value is written.
    pub location: String,
}

/// Where an instance's service module comes from.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ServiceJson {
    /// A module of this flake, at a path relative to the flake.
    Path { path: String },
    /// A module of this flake written inline.
    Inline,
    /// `inputs.<input>.clan.modules.<name>`.
    Input { input: String },
}

/// The service module an instance uses.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct ModuleJson {
    /// `module.name`.
    pub name: String,
    /// `module.input` as written (`null` when absent).
    pub input: Option<String>,
    /// Where the module was found.
    pub service: ServiceJson,
}

/// One (machine, instance, role) membership.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct MembershipJson {
    pub machine: String,
    pub instance: String,
    pub role: String,
    pub reasons: Vec<ReasonJson>,
    pub settings: Vec<LayerJson>,
}

/// A machine as a node.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct MachineJson {
    /// `nixos` or `darwin`.
    pub class: &'static str,
    /// Where the machine is (first) defined.
    pub location: String,
    pub description: Option<String>,
    /// Every tag the machine carries, with where each comes from.
    pub tags: BTreeMap<String, Vec<TagSourceJson>>,
    /// Present (`true`) when the machine's definition holds an error: what is shown is what
    /// resolved.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub errors: bool,
}

pub fn tag_sources(ctx: &Context, sources: &[TagSource]) -> Vec<TagSourceJson> {
    sources
        .iter()
        .map(|s| match s {
            TagSource::Own(span) => TagSourceJson {
                source: "own",
                location: Some(ctx.location(*span)),
            },
            TagSource::Inventory(span) => TagSourceJson {
                source: "inventory",
                location: Some(ctx.location(*span)),
            },
            TagSource::Builtin => TagSourceJson {
                source: "builtin",
                location: None,
            },
        })
        .collect()
}

pub fn machine_json(ctx: &Context, name: &str, machine: &MachineGraph) -> MachineJson {
    MachineJson {
        errors: ctx.broken.machines.contains(name),
        class: machine.class.as_str(),
        location: ctx.location(machine.span),
        description: machine.description.clone(),
        tags: machine
            .tags
            .iter()
            .map(|(tag, sources)| (tag.clone(), tag_sources(ctx, sources)))
            .collect(),
    }
}

pub fn module_json(ctx: &Context, instance: &InstanceGraph) -> ModuleJson {
    ModuleJson {
        name: instance.module_name.clone(),
        input: instance.module_input.clone(),
        service: match &instance.service {
            ServiceRef::Local {
                source: ModuleSource::Path(p),
                ..
            } => ServiceJson::Path { path: ctx.path(p) },
            ServiceRef::Local {
                source: ModuleSource::Verbatim(_),
                ..
            } => ServiceJson::Inline,
            ServiceRef::Input { input, .. } => ServiceJson::Input {
                input: input.clone(),
            },
        },
    }
}

pub fn reasons_json(ctx: &Context, reasons: &[Reason]) -> Vec<ReasonJson> {
    reasons
        .iter()
        .map(|r| match r {
            Reason::Named(span) => ReasonJson {
                kind: "named",
                tag: None,
                location: ctx.location(*span),
            },
            Reason::Tag { tag, span } => ReasonJson {
                kind: "tag",
                tag: Some(tag.to_string()),
                location: ctx.location(*span),
            },
        })
        .collect()
}

/// The settings layers of a membership: role, machine, then each tag (sorted), as the runtime
/// hands them to the module system.
pub fn layers_json(ctx: &Context, role: &RoleGraph, membership: &Membership) -> Vec<LayerJson> {
    let mut layers = Vec::new();
    if let Some(s) = &role.settings {
        layers.push(LayerJson {
            layer: "role",
            tag: None,
            location: ctx.location(s.span),
        });
    }
    if let Some(s) = &membership.settings {
        layers.push(LayerJson {
            layer: "machine",
            tag: None,
            location: ctx.location(s.span),
        });
    }
    for tag in &membership.tag_settings {
        if let Some(s) = role.tag_settings.get(tag) {
            layers.push(LayerJson {
                layer: "tag",
                tag: Some(tag.clone()),
                location: ctx.location(s.span),
            });
        }
    }
    layers
}

pub fn membership_json(
    ctx: &Context,
    machine: &str,
    instance: &str,
    role_name: &str,
    role: &RoleGraph,
    membership: &Membership,
) -> MembershipJson {
    MembershipJson {
        machine: machine.to_string(),
        instance: instance.to_string(),
        role: role_name.to_string(),
        reasons: reasons_json(ctx, &membership.reasons),
        settings: layers_json(ctx, role, membership),
    }
}

/// Human wording of a module's origin: `./services/mesh`, `an inline module`,
/// `inputs.clan-core.clan.modules.borgbackup`.
pub fn service_text(module: &ModuleJson) -> String {
    match &module.service {
        ServiceJson::Path { path } => path.clone(),
        ServiceJson::Inline => "an inline module".to_string(),
        ServiceJson::Input { input } => format!("inputs.{input}.clan.modules.{}", module.name),
    }
}

/// Pretty JSON with a final newline. Serialising these records cannot fail.
pub fn to_json_text<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
