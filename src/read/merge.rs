//! Merges inventory definitions from several places the way clan-core's module system does:
//! attribute sets merge recursively, lists concatenate, equal scalars agree and different ones
//! conflict, `settings` may be defined in one place only, and priority wrappers
//! (`lib.mkForce`/`mkDefault`/`mkOverride`) decide between definitions. Keys the inventory does
//! not have are reported with a suggestion. Every conflict names both places.

use super::data::{Data, DataKind, Entry};
use crate::diagnostics::{Diagnostic, Kind, suggest};
use std::collections::BTreeMap;

/// What an inventory position holds, which decides how definitions of it merge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Inventory,
    Meta,
    Machines,
    Machine,
    Deploy,
    Tags,
    Instances,
    Instance,
    InstanceModule,
    Roles,
    Role,
    RoleMembers,
    RoleMember,
    RoleTags,
    RoleTag,
    /// `settings`: defined once, merged in Nix, not here.
    Unique,
    List,
    Scalar,
    /// Any value, as nixpkgs' `types.anything` (the type of the legacy `config`): attribute
    /// sets merge, other values (lists too) must be equal.
    Free,
    /// `inventory.modules.<name>`: one definition each.
    Modules,
    Services,
    ServiceInstances,
    LegacyInstance,
    LegacyRoles,
    LegacyRole,
    LegacyMachines,
    LegacyMachine,
}

impl Shape {
    /// The shape of the whole inventory, where every walk starts.
    pub const ROOT: Shape = Shape::Inventory;

    /// The attribute names a record shape allows (anything else is `unknown-key`); `None` for
    /// shapes whose keys are names (machines, instances, …) or that are not attribute sets.
    pub fn keys(self) -> Option<&'static [&'static str]> {
        Some(match self {
            Shape::Inventory => &[
                "assertions",
                "instances",
                "machines",
                "meta",
                "modules",
                "services",
                "tags",
            ],
            Shape::Meta => &["description", "domain", "icon", "name", "tld"],
            Shape::Machine => &[
                "deploy",
                "description",
                "icon",
                "installedAt",
                "machineClass",
                "name",
                "tags",
            ],
            Shape::Deploy => &["buildHost", "forwardAgent", "targetHost"],
            Shape::Instance => &["module", "roles"],
            Shape::InstanceModule => &["input", "name"],
            Shape::Role => &["extraModules", "machines", "settings", "tags"],
            Shape::RoleMember | Shape::RoleTag => &["settings"],
            Shape::LegacyInstance => &[
                "config",
                "enabled",
                "extraModules",
                "machines",
                "meta",
                "roles",
            ],
            Shape::LegacyRole => &["config", "extraModules", "machines", "tags"],
            Shape::LegacyMachine => &["config", "extraModules"],
            _ => return None,
        })
    }

    /// The shape of the value under `key`.
    pub fn child(self, key: &str) -> Shape {
        match (self, key) {
            (Shape::Inventory, "meta") => Shape::Meta,
            (Shape::Inventory, "machines") => Shape::Machines,
            (Shape::Inventory, "tags") => Shape::Tags,
            (Shape::Inventory, "instances") => Shape::Instances,
            (Shape::Inventory, "modules") => Shape::Modules,
            (Shape::Inventory, "services") => Shape::Services,
            (Shape::Inventory, "assertions") => Shape::List,
            (Shape::Machines, _) => Shape::Machine,
            (Shape::Machine, "tags") => Shape::List,
            (Shape::Machine, "deploy") => Shape::Deploy,
            (Shape::Tags, _) => Shape::List,
            (Shape::Instances, _) => Shape::Instance,
            (Shape::Instance, "module") => Shape::InstanceModule,
            (Shape::Instance, "roles") => Shape::Roles,
            (Shape::Roles, _) => Shape::Role,
            (Shape::Role, "machines") => Shape::RoleMembers,
            (Shape::Role, "tags") => Shape::RoleTags,
            (Shape::Role, "settings") => Shape::Unique,
            (Shape::Role, "extraModules") => Shape::List,
            (Shape::RoleMembers, _) => Shape::RoleMember,
            (Shape::RoleTags, _) => Shape::RoleTag,
            (Shape::RoleMember | Shape::RoleTag, "settings") => Shape::Unique,
            (Shape::Modules, _) => Shape::Unique,
            (Shape::Services, _) => Shape::ServiceInstances,
            (Shape::ServiceInstances, _) => Shape::LegacyInstance,
            (Shape::LegacyInstance, "roles") => Shape::LegacyRoles,
            (Shape::LegacyInstance, "machines") => Shape::LegacyMachines,
            (Shape::LegacyInstance | Shape::LegacyMachine | Shape::LegacyRole, "extraModules") => {
                Shape::List
            }
            (Shape::LegacyInstance | Shape::LegacyMachine | Shape::LegacyRole, "config") => {
                Shape::Free
            }
            (Shape::LegacyInstance, "meta") => Shape::Free,
            (Shape::LegacyRoles, _) => Shape::LegacyRole,
            (Shape::LegacyRole, "machines" | "tags") => Shape::List,
            (Shape::LegacyMachines, _) => Shape::LegacyMachine,
            (Shape::Free, _) => Shape::Free,
            _ => Shape::Scalar,
        }
    }

    /// Whether a list may stand for the attribute set (`roles.<r>.tags = [ "a" ]` is
    /// `{ a = { }; }`).
    pub fn accepts_list(self) -> bool {
        self == Shape::RoleTags
    }
}

/// Merges inventory definitions into one tree. Returns the tree and every problem found.
pub fn merge_inventory(defs: Vec<Data>) -> (Option<Data>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    if defs.is_empty() {
        return (None, diagnostics);
    }
    let mut path = Vec::new();
    let defs: Vec<Data> = defs
        .into_iter()
        .flat_map(|d| expand(d, &path, &mut diagnostics))
        .collect();
    if defs.is_empty() {
        return (None, diagnostics);
    }
    let merged = merge(defs, Shape::Inventory, &mut path, &mut diagnostics);
    (Some(merged), diagnostics)
}

fn priority_of(d: &Data) -> i64 {
    match &d.kind {
        DataKind::Override { priority, .. } => *priority,
        _ => 100,
    }
}

fn strip(d: Data) -> Data {
    match d.kind {
        DataKind::Override { content, .. } => strip(*content),
        _ => d,
    }
}

fn dotted(path: &[String]) -> String {
    path.iter()
        .map(|k| crate::emit::nix::attr_name(k))
        .collect::<Vec<_>>()
        .join(".")
}

fn merge(defs: Vec<Data>, shape: Shape, path: &mut Vec<String>, out: &mut Vec<Diagnostic>) -> Data {
    let best = defs.iter().map(priority_of).min().unwrap_or(100);
    let mut defs: Vec<Data> = defs
        .into_iter()
        .filter(|d| priority_of(d) == best)
        .collect();

    if defs.len() == 1 {
        // One definition is kept as written (wrapper included) once its keys are checked.
        let only = defs.pop().expect("one");
        return check_single(only, shape, path, out);
    }

    match shape {
        Shape::Unique => {
            let first = defs.remove(0);
            for other in &defs {
                out.push(
                    Diagnostic::at(
                        Kind::Duplicate,
                        other.span,
                        format!("`{}` is defined in more than one place", dotted(path)),
                    )
                    .with_label("defined again here")
                    .with_note(first.span, "first defined here")
                    .with_hint(
                        "settings may be defined in one place only: merge them, or wrap one in lib.mkDefault",
                    ),
                );
            }
            first
        }
        Shape::List => {
            let span = defs[0].span;
            let mut items = Vec::new();
            for d in defs {
                let d = strip(d);
                match d.kind {
                    DataKind::List(list) => items.extend(list),
                    _ => out.push(expected(&d, "a list", path)),
                }
            }
            Data::new(DataKind::List(items), span)
        }
        Shape::Scalar => {
            let defs: Vec<Data> = defs.into_iter().map(strip).collect();
            let first = defs[0].clone();
            for other in &defs[1..] {
                if !same_value(&first, other) {
                    out.push(
                        Diagnostic::at(
                            Kind::Duplicate,
                            other.span,
                            format!("`{}` has conflicting values", dotted(path)),
                        )
                        .with_label("defined here")
                        .with_note(first.span, "and differently here")
                        .with_hint(
                            "keep one definition, or wrap one in lib.mkForce or lib.mkDefault",
                        ),
                    );
                }
            }
            first
        }
        _ => {
            let mut defs: Vec<Data> = defs.into_iter().map(strip).collect();
            if shape.accepts_list() {
                for d in &mut defs {
                    tags_list_to_attrs(d);
                }
            }
            if shape == Shape::Free {
                let all_attrs = defs.iter().all(|d| matches!(d.kind, DataKind::Attrs(_)));
                if !all_attrs {
                    return merge(defs, Shape::Scalar, path, out);
                }
            }
            let span = defs[0].span;
            let mut grouped: BTreeMap<String, (crate::diagnostics::Span, Vec<Data>)> =
                BTreeMap::new();
            for d in defs {
                match d.kind {
                    DataKind::Attrs(entries) => {
                        for (key, entry) in entries {
                            grouped
                                .entry(key)
                                .or_insert_with(|| (entry.key_span, Vec::new()))
                                .1
                                .push(entry.value);
                        }
                    }
                    _ => out.push(expected(&d, "an attribute set", path)),
                }
            }
            let mut merged = BTreeMap::new();
            for (key, (key_span, values)) in grouped {
                if !known_key(shape, &key, key_span, path, out) {
                    continue;
                }
                let child = shape.child(&key);
                path.push(key.clone());
                let values = expand_all(values, child, path, out);
                if values.is_empty() {
                    // Every definition was `lib.mkIf false …`: the key is not defined.
                    path.pop();
                    continue;
                }
                let value = merge(values, child, path, out);
                path.pop();
                merged.insert(key, Entry { key_span, value });
            }
            Data::new(DataKind::Attrs(merged), span)
        }
    }
}

/// Whether `lib.mkMerge`/`lib.mkIf` are taken apart here at this shape. Under `settings` (and
/// the legacy `config`) they stay as written, for the module system in Nix.
fn expands(shape: Shape) -> bool {
    !matches!(shape, Shape::Unique | Shape::Free)
}

/// `lib.mkMerge [ … ]` (`{ _type = "merge"; contents; }`) or `lib.mkIf c x`
/// (`{ _type = "if"; condition; content; }`), possibly under a priority wrapper.
fn is_conditional(d: &Data) -> bool {
    match &d.kind {
        DataKind::Override { content, .. } => is_conditional(content),
        DataKind::Attrs(entries) => entries
            .get("_type")
            .and_then(|t| t.value.as_str())
            .is_some_and(|t| t == "merge" || t == "if"),
        _ => false,
    }
}

fn expand_all(
    defs: Vec<Data>,
    shape: Shape,
    path: &[String],
    out: &mut Vec<Diagnostic>,
) -> Vec<Data> {
    if !expands(shape) || !defs.iter().any(is_conditional) {
        return defs;
    }
    defs.into_iter()
        .flat_map(|d| expand(d, path, out))
        .collect()
}

/// The definitions a value stands for, as the module system sees them: `mkMerge` gives each
/// of its contents, `mkIf true x` gives `x`'s, `mkIf false x` none; a priority wrapper around
/// them applies to each (as `mkOverride` is pushed down by the module system).
fn expand(d: Data, path: &[String], out: &mut Vec<Diagnostic>) -> Vec<Data> {
    if !is_conditional(&d) {
        return vec![d];
    }
    let span = d.span;
    match d.kind {
        DataKind::Override {
            priority,
            style,
            content,
        } => expand(*content, path, out)
            .into_iter()
            .map(|c| {
                Data::new(
                    DataKind::Override {
                        priority,
                        style,
                        content: Box::new(c),
                    },
                    span,
                )
            })
            .collect(),
        DataKind::Attrs(mut entries) => {
            let kind = entries
                .get("_type")
                .and_then(|t| t.value.as_str())
                .unwrap_or("")
                .to_string();
            if kind == "merge" {
                return match entries.remove("contents").map(|e| e.value) {
                    Some(Data {
                        kind: DataKind::List(items),
                        ..
                    }) => items
                        .into_iter()
                        .flat_map(|i| expand(i, path, out))
                        .collect(),
                    other => {
                        let found = other.unwrap_or(Data::new(DataKind::Null, span));
                        out.push(expected(
                            &found,
                            "a list (the contents of lib.mkMerge)",
                            path,
                        ));
                        Vec::new()
                    }
                };
            }
            let condition = entries.remove("condition").map(|e| e.value);
            let content = entries.remove("content").map(|e| e.value);
            match (condition, content) {
                (
                    Some(Data {
                        kind: DataKind::Bool(true),
                        ..
                    }),
                    Some(content),
                ) => expand(content, path, out),
                (
                    Some(Data {
                        kind: DataKind::Bool(false),
                        ..
                    }),
                    Some(_),
                ) => Vec::new(),
                (condition, _) => {
                    let found = condition.unwrap_or(Data::new(DataKind::Null, span));
                    out.push(expected(
                        &found,
                        "a boolean (the condition of lib.mkIf)",
                        path,
                    ));
                    Vec::new()
                }
            }
        }
        _ => vec![Data::new(d.kind, span)],
    }
}

/// Checks a single definition's shape and keys without changing it (unknown keys are dropped
/// with a diagnostic). The tree is taken apart and rebuilt, never copied.
fn check_single(d: Data, shape: Shape, path: &mut Vec<String>, out: &mut Vec<Diagnostic>) -> Data {
    let inner = match &d.kind {
        DataKind::Override { content, .. } => content.as_ref(),
        _ => &d,
    };
    match shape {
        Shape::List => {
            if !matches!(inner.kind, DataKind::List(_)) {
                out.push(expected(inner, "a list", path));
            }
            d
        }
        Shape::Unique | Shape::Scalar | Shape::Free => d,
        _ if shape.accepts_list() && matches!(inner.kind, DataKind::List(_)) => d,
        _ => {
            let span = d.span;
            let (wrapper, inner) = match d.kind {
                DataKind::Override {
                    priority,
                    style,
                    content,
                } => (Some((priority, style)), *content),
                kind => (None, Data::new(kind, span)),
            };
            let rewrap = |data: Data| match wrapper {
                Some((priority, style)) => Data::new(
                    DataKind::Override {
                        priority,
                        style,
                        content: Box::new(data),
                    },
                    span,
                ),
                None => data,
            };
            let entries = match inner.kind {
                DataKind::Attrs(entries) => entries,
                kind => {
                    let inner = Data::new(kind, inner.span);
                    out.push(expected(&inner, "an attribute set", path));
                    return rewrap(inner);
                }
            };
            let mut checked = Vec::with_capacity(entries.len());
            for (key, entry) in entries {
                if !known_key(shape, &key, entry.key_span, path, out) {
                    continue;
                }
                let child = shape.child(&key);
                path.push(key);
                let value = if is_conditional(&entry.value) && expands(child) {
                    let mut values = expand(entry.value, path, out);
                    match values.len() {
                        0 => {
                            path.pop();
                            continue;
                        }
                        1 => check_single(values.pop().expect("one"), child, path, out),
                        _ => merge(values, child, path, out),
                    }
                } else {
                    check_single(entry.value, child, path, out)
                };
                let key = path.pop().expect("pushed above");
                checked.push((
                    key,
                    Entry {
                        key_span: entry.key_span,
                        value,
                    },
                ));
            }
            // In key order already: the map is built in bulk.
            rewrap(Data::new(
                DataKind::Attrs(checked.into_iter().collect()),
                inner.span,
            ))
        }
    }
}

fn known_key(
    shape: Shape,
    key: &str,
    span: crate::diagnostics::Span,
    path: &[String],
    out: &mut Vec<Diagnostic>,
) -> bool {
    let Some(keys) = shape.keys() else {
        return true;
    };
    if keys.contains(&key) {
        return true;
    }
    let place = if path.is_empty() {
        "the inventory".to_string()
    } else {
        format!("`{}`", dotted(path))
    };
    let mut d = Diagnostic::at(
        Kind::UnknownKey,
        span,
        format!("{place} has no attribute `{key}`"),
    )
    .with_label("unknown here");
    d = match suggest(key, keys.iter().copied()) {
        Some(s) => d.with_hint(format!("did you mean `{s}`? (known: {})", keys.join(", "))),
        None => d.with_hint(format!("known attributes: {}", keys.join(", "))),
    };
    out.push(d);
    false
}

fn expected(d: &Data, what: &str, path: &[String]) -> Diagnostic {
    let mut diag = Diagnostic::at(
        Kind::WrongType,
        d.span,
        format!("`{}` must be {what}, found {}", dotted(path), d.type_name()),
    )
    .with_label("here");
    if path.last().is_some_and(|k| k == "machines") && matches!(d.kind, DataKind::List(_)) {
        diag =
            diag.with_hint("name machines as attributes: `machines = { jon = { }; sara = { }; };`");
    }
    diag
}

/// `roles.<r>.tags = [ "a" ]` is the same as `{ a = { }; }` once merged with an attrset.
fn tags_list_to_attrs(d: &mut Data) {
    if let DataKind::List(items) = &d.kind {
        let mut entries = BTreeMap::new();
        for item in items {
            if let DataKind::Str(name) = &item.kind {
                entries.insert(
                    name.clone(),
                    Entry {
                        key_span: item.span,
                        value: Data::new(DataKind::Attrs(BTreeMap::new()), item.span),
                    },
                );
            }
        }
        d.kind = DataKind::Attrs(entries);
    }
}

/// Equality of values, ignoring where they were written.
pub fn same_value(a: &Data, b: &Data) -> bool {
    match (&a.kind, &b.kind) {
        (DataKind::List(x), DataKind::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        (DataKind::Attrs(x), DataKind::Attrs(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, e1), (k2, e2))| k1 == k2 && same_value(&e1.value, &e2.value))
        }
        (
            DataKind::Override {
                priority: p1,
                content: c1,
                ..
            },
            DataKind::Override {
                priority: p2,
                content: c2,
                ..
            },
        ) => p1 == p2 && same_value(c1, c2),
        (x, y) => x == y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::{FileId, Span};

    fn sp(n: u32) -> Span {
        Span {
            file: FileId(n),
            start: 0,
            end: 1,
        }
    }

    fn attrs(file: u32, items: Vec<(&str, Data)>) -> Data {
        Data::new(
            DataKind::Attrs(
                items
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            k.to_string(),
                            Entry {
                                key_span: sp(file),
                                value: v,
                            },
                        )
                    })
                    .collect(),
            ),
            sp(file),
        )
    }

    fn s(file: u32, v: &str) -> Data {
        Data::new(DataKind::Str(v.into()), sp(file))
    }

    fn list(file: u32, v: Vec<Data>) -> Data {
        Data::new(DataKind::List(v), sp(file))
    }

    #[test]
    fn lists_concatenate_and_attrs_merge() {
        let a = attrs(
            1,
            vec![(
                "machines",
                attrs(
                    1,
                    vec![("jon", attrs(1, vec![("tags", list(1, vec![s(1, "a")]))]))],
                ),
            )],
        );
        let b = attrs(
            2,
            vec![(
                "machines",
                attrs(
                    2,
                    vec![("jon", attrs(2, vec![("tags", list(2, vec![s(2, "b")]))]))],
                ),
            )],
        );
        let (merged, diags) = merge_inventory(vec![a, b]);
        assert!(diags.is_empty());
        let json = merged.expect("merged").to_json();
        assert_eq!(
            json,
            serde_json::json!({"machines": {"jon": {"tags": ["a", "b"]}}})
        );
    }

    #[test]
    fn conflicting_scalars_name_both_places() {
        let a = attrs(1, vec![("meta", attrs(1, vec![("name", s(1, "x"))]))]);
        let b = attrs(2, vec![("meta", attrs(2, vec![("name", s(2, "y"))]))]);
        let (_, diags) = merge_inventory(vec![a, b]);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].kind, Kind::Duplicate);
        assert_eq!(diags[0].span, Some(sp(2)));
        assert_eq!(diags[0].notes[0].span, sp(1));
    }

    #[test]
    fn settings_are_unique_even_when_disjoint() {
        let settings = |file, key| {
            attrs(
                file,
                vec![(
                    "instances",
                    attrs(
                        file,
                        vec![(
                            "i",
                            attrs(
                                file,
                                vec![(
                                    "roles",
                                    attrs(
                                        file,
                                        vec![(
                                            "peer",
                                            attrs(
                                                file,
                                                vec![(
                                                    "settings",
                                                    attrs(file, vec![(key, s(file, "v"))]),
                                                )],
                                            ),
                                        )],
                                    ),
                                )],
                            ),
                        )],
                    ),
                )],
            )
        };
        let (_, diags) = merge_inventory(vec![settings(1, "a"), settings(2, "b")]);
        assert_eq!(diags.len(), 1);
        assert!(
            diags[0].message.contains("instances.i.roles.peer.settings"),
            "{}",
            diags[0].message
        );
    }

    #[test]
    fn legacy_config_merges_like_types_anything() {
        // services.m.i.config from two files: attribute sets merge, lists must be equal.
        let config = |file, key: &str, v: Data| {
            attrs(
                file,
                vec![(
                    "services",
                    attrs(
                        file,
                        vec![(
                            "m",
                            attrs(
                                file,
                                vec![(
                                    "i",
                                    attrs(file, vec![("config", attrs(file, vec![(key, v)]))]),
                                )],
                            ),
                        )],
                    ),
                )],
            )
        };
        let (merged, diags) = merge_inventory(vec![
            config(1, "a", s(1, "x")),
            config(2, "b", list(2, vec![s(2, "y")])),
        ]);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            merged.expect("merged").to_json(),
            serde_json::json!({"services": {"m": {"i": {"config": {"a": "x", "b": ["y"]}}}}})
        );
        let (_, diags) = merge_inventory(vec![
            config(1, "l", list(1, vec![s(1, "x")])),
            config(2, "l", list(2, vec![s(2, "y")])),
        ]);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].kind, Kind::Duplicate);
    }

    #[test]
    fn unknown_keys_get_suggestions() {
        let a = attrs(1, vec![("machnes", attrs(1, vec![]))]);
        let (_, diags) = merge_inventory(vec![a]);
        assert_eq!(diags[0].kind, Kind::UnknownKey);
        assert!(
            diags[0]
                .hint
                .as_deref()
                .unwrap_or("")
                .contains("`machines`")
        );
    }

    #[test]
    fn mk_default_loses_to_plain_definition() {
        let wrapped = Data::new(
            DataKind::Override {
                priority: 1000,
                style: super::super::data::OverrideStyle::Default,
                content: Box::new(s(1, "x")),
            },
            sp(1),
        );
        let a = attrs(1, vec![("meta", attrs(1, vec![("name", wrapped)]))]);
        let b = attrs(2, vec![("meta", attrs(2, vec![("name", s(2, "y"))]))]);
        let (merged, diags) = merge_inventory(vec![a, b]);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            merged.expect("merged").to_json(),
            serde_json::json!({"meta": {"name": "y"}})
        );
    }

    fn mk_if(file: u32, condition: Data, content: Data) -> Data {
        attrs(
            file,
            vec![
                ("_type", s(file, "if")),
                ("condition", condition),
                ("content", content),
            ],
        )
    }

    #[test]
    fn mk_merge_and_mk_if_are_taken_apart_outside_settings() {
        let t = Data::new(DataKind::Bool(true), sp(1));
        let f = Data::new(DataKind::Bool(false), sp(1));
        let jon = attrs(1, vec![("jon", attrs(1, vec![]))]);
        let ghost = attrs(1, vec![("ghost", attrs(1, vec![]))]);
        let merged_machines = attrs(
            1,
            vec![
                ("_type", s(1, "merge")),
                (
                    "contents",
                    list(
                        1,
                        vec![mk_if(1, t.clone(), jon), mk_if(1, f.clone(), ghost)],
                    ),
                ),
            ],
        );
        let a = attrs(
            1,
            vec![
                ("machines", merged_machines),
                // A key whose only definition is `mkIf false` is not defined at all.
                ("tags", mk_if(1, f.clone(), attrs(1, vec![]))),
            ],
        );
        let (merged, diags) = merge_inventory(vec![a]);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            merged.expect("merged").to_json(),
            serde_json::json!({"machines": {"jon": {}}})
        );

        // A condition that is not a boolean is an error naming the place.
        let bad = attrs(
            2,
            vec![("machines", mk_if(2, s(2, "yes"), attrs(2, vec![])))],
        );
        let (_, diags) = merge_inventory(vec![bad]);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(
            diags[0].message.contains("condition of lib.mkIf"),
            "{diags:?}"
        );
    }
}
