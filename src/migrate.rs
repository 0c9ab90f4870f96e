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

use crate::diagnostics::{Diagnostic, FileId, Kind, Span};
use crate::emit::nix::{attr_name, string};
use crate::lower::{Inventory, LegacyInstance};
use crate::read::data::{Data, DataKind};
use crate::read::merge::same_value;
use crate::read::{Flake, ModuleSource};
use crate::resolve::Graph;
use rnix::SyntaxKind;
use rnix::ast::{self, AstToken, HasEntry};
use rowan::ast::AstNode;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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

/// What a migrated instance needs to know about its flake.
struct Info {
    module: String,
    /// The roles the instance writes: where its `config` and `extraModules` go.
    roles: Vec<String>,
    /// The one role of each member that has `machines.<m>.config`.
    machine_role: BTreeMap<String, String>,
}

/// Keys a `settings` value may not have: a settings value is a module, and these are module
/// keywords there.
const MODULE_KEYWORDS: [&str; 8] = [
    "_class",
    "_file",
    "config",
    "disabledModules",
    "freeformType",
    "imports",
    "key",
    "options",
];

fn dotted(key: &Key) -> String {
    format!("services.{}.{}", attr_name(&key.0), attr_name(&key.1))
}

fn refusal(instance: &LegacyInstance, reason: &str, hint: &str) -> Diagnostic {
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
        let rewrite = rewrite_all(flake, inventory, &accepted);
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
        let failures = verify(flake, inventory, graph, &rewrite.migrated, &back);
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

/// Whether the meaning of a legacy instance can be kept in `instances`, and what its rewrite
/// needs to know.
fn check(
    flake: &Flake,
    inventory: &Inventory,
    graph: &Graph,
    instance: &LegacyInstance,
) -> Result<Info, Diagnostic> {
    let key = (instance.module.clone(), instance.name.clone());
    let module = &instance.module;
    let name = &instance.name;
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
    if inventory.instances.contains_key(name) {
        return Err(refusal(
            instance,
            &format!("`instances.{}` already exists", attr_name(name)),
            "rename one of the two, then run migrate again",
        ));
    }
    if let Some(((other, _), _)) = inventory
        .services
        .iter()
        .find(|((m, i), _)| i == name && m != module)
    {
        return Err(refusal(
            instance,
            &format!(
                "`services.{}.{}` has the same instance name, and `instances` have one namespace",
                attr_name(other),
                attr_name(name)
            ),
            "rename one of the two, then run migrate again",
        ));
    }

    // The target: a clan.service module registered under `modules.<module>`.
    let legacy_path = flake.legacy_modules.get(module).map(|m| &m.path);
    let target = flake
        .modules
        .get(module)
        .filter(|m| !matches!(&m.source, ModuleSource::Path(p) if Some(p) == legacy_path));
    let used: Vec<&str> = instance.roles.keys().map(String::as_str).collect();
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
    for m in &members {
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
    let mut machine_role = BTreeMap::new();
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
            Some(r) if roles.len() == 1 => {
                machine_role.insert(m.clone(), r.clone());
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
        roles: instance.roles.keys().cloned().collect(),
        machine_role,
    })
}

// ---------------------------------------------------------------------------------------------
// Text edits

#[derive(Clone, Debug)]
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

/// `text[start..end]` with the edits that lie inside the range applied.
fn splice(text: &str, start: usize, end: usize, edits: &[Edit]) -> String {
    let mut inside: Vec<&Edit> = edits
        .iter()
        .filter(|e| start <= e.start && e.end <= end)
        .collect();
    inside.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(end.saturating_sub(start) + 64);
    let mut at = start;
    for e in inside {
        if e.start < at {
            // Overlapping edits cannot both apply; the read-back check catches the result.
            continue;
        }
        out.push_str(text.get(at..e.start).unwrap_or(""));
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(text.get(at..end).unwrap_or(""));
    out
}

fn line_start(text: &str, pos: usize) -> usize {
    text.get(..pos)
        .and_then(|t| t.rfind('\n'))
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// The leading whitespace of the line holding `pos`.
fn indent_at(text: &str, pos: usize) -> &str {
    let start = line_start(text, pos);
    let line = text.get(start..).unwrap_or("");
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..n]
}

/// Nothing but whitespace before `pos` on its line.
fn own_line(text: &str, pos: usize) -> bool {
    text.get(line_start(text, pos)..pos)
        .is_some_and(|t| t.chars().all(|c| c == ' ' || c == '\t'))
}

/// After `end`: optional spaces, an optional `#` comment, then the end of the line. Returns the
/// position after the newline and the comment.
fn rest_of_line(text: &str, end: usize) -> Option<(usize, Option<String>)> {
    let rest = text.get(end..)?;
    let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let after = &rest[spaces..];
    let (comment, after_comment) = if after.starts_with('#') {
        let n = after.find('\n').unwrap_or(after.len());
        (Some(after[..n].trim_end().to_string()), end + spaces + n)
    } else {
        (None, end + spaces)
    };
    let tail = text.get(after_comment..)?;
    if tail.starts_with("\r\n") {
        Some((after_comment + 2, comment))
    } else if tail.starts_with('\n') {
        Some((after_comment + 1, comment))
    } else if tail.is_empty() {
        Some((after_comment, comment))
    } else {
        None
    }
}

/// `#` comment lines directly above the line of `pos` (no blank line between): where the first
/// starts, and their texts.
fn comments_above(text: &str, pos: usize) -> (usize, Vec<String>) {
    let mut start = line_start(text, pos);
    let mut lines = Vec::new();
    while start > 0 {
        let prev = line_start(text, start - 1);
        let line = text.get(prev..start).unwrap_or("").trim();
        if line.starts_with('#') {
            lines.push(line.to_string());
            start = prev;
        } else {
            break;
        }
    }
    lines.reverse();
    (start, lines)
}

/// Is the line above the one at `start` blank?
fn blank_above(text: &str, start: usize) -> bool {
    if start == 0 {
        return false;
    }
    let prev = line_start(text, start - 1);
    text.get(prev..start).is_some_and(|l| l.trim().is_empty())
}

/// Every line of `text` ends with CR LF.
fn crlf(text: &str) -> bool {
    text.contains("\r\n") && !text.replace("\r\n", "").contains('\n')
}

/// `text` with every lone LF made CR LF (for files written with CR LF throughout).
fn with_crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut previous = '\0';
    for c in text.chars() {
        if c == '\n' && previous != '\r' {
            out.push('\r');
        }
        out.push(c);
        previous = c;
    }
    out
}

/// Shifts every line after the first by `shift` columns, unless that would change a string.
fn reindent(text: &str, shift: isize, node: Option<&rnix::SyntaxNode>) -> String {
    if shift == 0 || !text.contains('\n') {
        return text.to_string();
    }
    let multiline_plain_string = node.is_some_and(|n| {
        n.descendants().any(|d| {
            d.kind() == SyntaxKind::NODE_STRING
                && d.first_token().is_some_and(|t| t.text() == "\"")
                && d.text().to_string().contains('\n')
        })
    });
    if multiline_plain_string {
        return text.to_string();
    }
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or("");
    let rest: Vec<&str> = lines.collect();
    if shift < 0 {
        let need = shift.unsigned_abs();
        let fits = rest
            .iter()
            .all(|l| l.trim().is_empty() || l.len() - l.trim_start_matches(' ').len() >= need);
        if !fits {
            return text.to_string();
        }
    }
    let mut out = String::from(first);
    for line in rest {
        out.push('\n');
        if line.trim().is_empty() {
            continue;
        }
        if shift > 0 {
            out.push_str(&" ".repeat(shift as usize));
            out.push_str(line);
        } else {
            out.push_str(&line[shift.unsigned_abs()..]);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Syntax

/// The name of an attribute when it is written statically.
fn static_name(attr: &ast::Attr) -> Option<String> {
    match attr {
        ast::Attr::Ident(i) => Some(i.syntax().text().to_string()),
        ast::Attr::Str(s) => plain_string(s),
        ast::Attr::Dynamic(d) => match d.expr()? {
            ast::Expr::Str(s) => plain_string(&s),
            _ => None,
        },
    }
}

/// The value of a `"…"` string without interpolation.
fn plain_string(s: &ast::Str) -> Option<String> {
    if s.syntax().first_token().is_some_and(|t| t.text() == "''") {
        return None;
    }
    let mut text = String::new();
    for part in s.parts() {
        match part {
            ast::InterpolPart::Literal(l) => text.push_str(l.syntax().text()),
            ast::InterpolPart::Interpolation(_) => return None,
        }
    }
    Some(crate::read::strings::unescape_plain(&text))
}

type Names = Vec<(String, ast::Attr)>;

fn names_of(binding: &ast::AttrpathValue) -> Option<Names> {
    binding
        .attrpath()?
        .attrs()
        .map(|a| static_name(&a).map(|n| (n, a)))
        .collect()
}

fn range(node: &rnix::SyntaxNode) -> (usize, usize) {
    let r = node.text_range();
    (usize::from(r.start()), usize::from(r.end()))
}

fn attrset(value: &ast::Expr) -> Option<ast::AttrSet> {
    match value {
        ast::Expr::AttrSet(set) if set.rec_token().is_none() => Some(set.clone()),
        _ => None,
    }
}

fn bindings(set: &ast::AttrSet) -> Result<Vec<ast::AttrpathValue>, String> {
    set.entries()
        .map(|e| match e {
            ast::Entry::AttrpathValue(b) => Ok(b),
            ast::Entry::Inherit(_) => {
                Err("it uses `inherit`, which migrate does not rewrite".into())
            }
        })
        .collect()
}

/// One binding that defines (part of) a legacy instance.
struct Contribution {
    key: Key,
    binding: ast::AttrpathValue,
    names: Names,
    /// Index in `names` of the instance's name.
    at: usize,
    /// The text written before `services` (`inventory.` or nothing).
    prefix: String,
    /// The `services` containers between the inventory and the binding, outermost first.
    chain: Vec<ast::AttrpathValue>,
    /// Where the attribute set holding the inventory starts.
    x: usize,
}

/// The bindings of the attribute set `x` that define legacy instances under
/// `<prefix>.services`, directly (`services.<m>.<i>… = …`) or in `services`/`services.<m>`
/// attribute sets; forms it cannot follow go to `unsupported` (module, instance, reason).
fn discover(
    x: &ast::AttrSet,
    prefix: &[String],
    out: &mut Vec<Contribution>,
    unsupported: &mut Vec<(String, Option<String>, String)>,
) {
    let x_start = range(x.syntax()).0;
    let entries = x.entries().filter_map(|e| match e {
        ast::Entry::AttrpathValue(b) => Some(b),
        ast::Entry::Inherit(_) => None,
    });
    let n = prefix.len();
    for b in entries {
        let Some(names) = names_of(&b) else { continue };
        if names.len() <= n
            || names[..n].iter().map(|(s, _)| s).ne(prefix.iter())
            || names[n].0 != "services"
        {
            continue;
        }
        let prefix_text: String = names[..n]
            .iter()
            .map(|(_, a)| format!("{}.", a.syntax().text()))
            .collect();
        let rest = names.len() - n - 1;
        if rest >= 2 {
            out.push(Contribution {
                key: (names[n + 1].0.clone(), names[n + 2].0.clone()),
                binding: b.clone(),
                names,
                at: n + 2,
                prefix: prefix_text.clone(),
                chain: Vec::new(),
                x: x_start,
            });
            continue;
        }
        let module = (rest == 1).then(|| names[n + 1].0.clone());
        let Some(set) = b.value().as_ref().and_then(attrset) else {
            unsupported.push((
                module.unwrap_or_default(),
                None,
                "its `services` are not written as an attribute set".into(),
            ));
            continue;
        };
        for c in set.entries() {
            let c = match c {
                ast::Entry::AttrpathValue(c) => c,
                ast::Entry::Inherit(i) => {
                    for a in i.attrs() {
                        if let Some(name) = static_name(&a) {
                            let (m, inst) = match &module {
                                Some(m) => (m.clone(), Some(name)),
                                None => (name, None),
                            };
                            unsupported.push((m, inst, "it is brought in with `inherit`".into()));
                        }
                    }
                    continue;
                }
            };
            let Some(cn) = names_of(&c).filter(|n| !n.is_empty()) else {
                continue;
            };
            match (&module, cn.len()) {
                (Some(m), _) => out.push(Contribution {
                    key: (m.clone(), cn[0].0.clone()),
                    binding: c.clone(),
                    names: cn,
                    at: 0,
                    prefix: prefix_text.clone(),
                    chain: vec![b.clone()],
                    x: x_start,
                }),
                (None, len) if len >= 2 => out.push(Contribution {
                    key: (cn[0].0.clone(), cn[1].0.clone()),
                    binding: c.clone(),
                    names: cn,
                    at: 1,
                    prefix: prefix_text.clone(),
                    chain: vec![b.clone()],
                    x: x_start,
                }),
                (None, _) => {
                    let m = cn[0].0.clone();
                    let Some(inner) = c.value().as_ref().and_then(attrset) else {
                        unsupported.push((
                            m,
                            None,
                            "its module's instances are not written as an attribute set".into(),
                        ));
                        continue;
                    };
                    for d in inner.entries() {
                        let d = match d {
                            ast::Entry::AttrpathValue(d) => d,
                            ast::Entry::Inherit(i) => {
                                for a in i.attrs() {
                                    if let Some(name) = static_name(&a) {
                                        unsupported.push((
                                            m.clone(),
                                            Some(name),
                                            "it is brought in with `inherit`".into(),
                                        ));
                                    }
                                }
                                continue;
                            }
                        };
                        let Some(dn) = names_of(&d).filter(|n| !n.is_empty()) else {
                            continue;
                        };
                        out.push(Contribution {
                            key: (m.clone(), dn[0].0.clone()),
                            binding: d.clone(),
                            names: dn,
                            at: 0,
                            prefix: prefix_text.clone(),
                            chain: vec![b.clone(), c.clone()],
                            x: x_start,
                        });
                    }
                }
            }
        }
    }
}

/// Where a relocated value comes from: the source text of this range, with the edits inside.
enum Source {
    Range(usize, usize),
}

enum Field {
    /// Kept in place; attributes at these indices of the path are renamed.
    InPlace(Vec<(usize, &'static str)>),
    /// Replaced by these bindings (paths relative to the instance).
    Relocated(Vec<(String, Source)>),
}

struct Rewriter<'a> {
    text: &'a str,
    /// The directory of the file being rewritten.
    dir: PathBuf,
    root: &'a Path,
    /// Edits inside instance bindings; consumed when the binding's new text is made.
    edits: Vec<Edit>,
}

impl Rewriter<'_> {
    fn source(&self, src: &Source) -> String {
        let Source::Range(s, e) = src;
        splice(self.text, *s, *e, &self.edits)
    }

    fn drop_within(&mut self, start: usize, end: usize) {
        self.edits.retain(|e| !(start <= e.start && e.end <= end));
    }

    /// `[ "a" "b" ]` → `{ a = { }; b = { }; }`, token by token.
    fn machines_list(&mut self, value: &ast::Expr) -> Result<(), String> {
        let ast::Expr::List(list) = value else {
            return Err("a role's `machines` is not written as a list".into());
        };
        let (Some(open), Some(close)) = (list.l_brack_token(), list.r_brack_token()) else {
            return Err("a role's `machines` is not a complete list".into());
        };
        let mut seen = BTreeSet::new();
        let mut items = Vec::new();
        for item in list.items() {
            let name = match &item {
                ast::Expr::Str(s) => plain_string(s),
                _ => None,
            }
            .ok_or("a role's `machines` has an entry that is not a plain string")?;
            if !seen.insert(name.clone()) {
                return Err(format!("a role's `machines` lists `{name}` twice"));
            }
            let (s, e) = range(item.syntax());
            items.push(Edit {
                start: s,
                end: e,
                text: format!("{} = {{ }};", attr_name(&name)),
            });
        }
        let o = open.text_range();
        let c = close.text_range();
        self.edits.push(Edit {
            start: o.start().into(),
            end: o.end().into(),
            text: "{".into(),
        });
        self.edits.extend(items);
        self.edits.push(Edit {
            start: c.start().into(),
            end: c.end().into(),
            text: "}".into(),
        });
        Ok(())
    }

    /// Strings in an `extraModules` list become path literals (they named files relative to the
    /// flake).
    fn extra_list(&mut self, value: &ast::Expr) -> Result<(), String> {
        let ast::Expr::List(list) = value else {
            // Not literal: no string can be rewritten; the read-back check compares the result.
            return Ok(());
        };
        for item in list.items() {
            let ast::Expr::Str(s) = &item else { continue };
            let name =
                plain_string(s).ok_or("an `extraModules` entry is a string with interpolation")?;
            let target = crate::read::eval::normalize(&self.root.join(&name));
            if name.starts_with('/') || !target.starts_with(self.root) {
                return Err(format!(
                    "the `extraModules` entry \"{name}\" is not a file in the flake"
                ));
            }
            let (start, end) = range(item.syntax());
            self.edits.push(Edit {
                start,
                end,
                text: crate::emit::nix::path(&target, &self.dir),
            });
        }
        Ok(())
    }

    /// Inside `roles`: `rel` is the path relative to `roles`.
    fn roles_value(&mut self, rel: &[String], value: &ast::Expr) -> Result<(), String> {
        if rel.len() < 2 {
            let set = attrset(value).ok_or("its `roles` are not written as attribute sets")?;
            for b in bindings(&set)? {
                let names =
                    names_of(&b).ok_or("a role has an attribute name that is not static")?;
                let depth = rel.len();
                let mut full: Vec<String> = rel.to_vec();
                full.extend(names.iter().map(|(n, _)| n.clone()));
                if depth <= 1 && full.len() >= 2 && full[1] == "config" {
                    let (s, e) = range(names[1 - depth].1.syntax());
                    self.edits.push(Edit {
                        start: s,
                        end: e,
                        text: "settings".into(),
                    });
                }
                let value = b.value().ok_or("a binding has no value")?;
                self.roles_value(&full, &value)?;
            }
            return Ok(());
        }
        match (rel[1].as_str(), rel.len()) {
            ("machines", 2) => self.machines_list(value),
            ("extraModules", 2) => self.extra_list(value),
            ("tags" | "config", _) => Ok(()),
            (other, _) => Err(format!("`roles.<role>.{other}` cannot be migrated")),
        }
    }

    /// Inside `machines`: `rel` is the path relative to `machines`, with attribute texts.
    fn machines_value(
        &mut self,
        info: &Info,
        rel: &[(String, String)],
        value: &ast::Expr,
    ) -> Result<Vec<(String, Source)>, String> {
        if rel.len() < 2 {
            let set = attrset(value).ok_or("its `machines` are not written as attribute sets")?;
            let mut out = Vec::new();
            for b in bindings(&set)? {
                let names =
                    names_of(&b).ok_or("a machine has an attribute name that is not static")?;
                let mut full = rel.to_vec();
                full.extend(
                    names
                        .iter()
                        .map(|(n, a)| (n.clone(), a.syntax().text().to_string())),
                );
                let value = b.value().ok_or("a binding has no value")?;
                out.extend(self.machines_value(info, &full, &value)?);
            }
            return Ok(out);
        }
        let m = &rel[0].0;
        match rel[1].0.as_str() {
            "config" => {
                let role = info
                    .machine_role
                    .get(m)
                    .ok_or_else(|| format!("`machines.{}.config` reaches no role", attr_name(m)))?;
                let rest: String = rel[2..].iter().map(|(_, t)| format!(".{t}")).collect();
                let (s, e) = range(value.syntax());
                Ok(vec![(
                    format!(
                        "roles.{}.machines.{}.settings{rest}",
                        attr_name(role),
                        attr_name(m)
                    ),
                    Source::Range(s, e),
                )])
            }
            "extraModules" => match value {
                ast::Expr::List(l) if l.items().next().is_none() => Ok(Vec::new()),
                _ => Err(format!(
                    "`machines.{}.extraModules` has no equivalent",
                    attr_name(m)
                )),
            },
            other => Err(format!("`machines.<machine>.{other}` cannot be migrated")),
        }
    }

    /// A field of the instance: `names` is its path relative to the instance.
    fn field(
        &mut self,
        info: &Info,
        names: &[(String, ast::Attr)],
        value: &ast::Expr,
    ) -> Result<Field, String> {
        if names.is_empty() {
            return Err("a binding has no attribute name".into());
        }
        let plain: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
        let texts: Vec<String> = names
            .iter()
            .map(|(_, a)| a.syntax().text().to_string())
            .collect();
        let (s, e) = range(value.syntax());
        match plain[0].as_str() {
            "roles" => {
                self.roles_value(&plain[1..], value)?;
                let renames = if plain.len() > 2 && plain[2] == "config" {
                    vec![(2, "settings")]
                } else {
                    Vec::new()
                };
                Ok(Field::InPlace(renames))
            }
            "config" => {
                let rest: String = texts[1..].iter().map(|t| format!(".{t}")).collect();
                Ok(Field::Relocated(
                    info.roles
                        .iter()
                        .map(|r| {
                            (
                                format!("roles.{}.settings{rest}", attr_name(r)),
                                Source::Range(s, e),
                            )
                        })
                        .collect(),
                ))
            }
            "machines" => {
                let rel: Vec<(String, String)> = plain[1..]
                    .iter()
                    .cloned()
                    .zip(texts[1..].iter().cloned())
                    .collect();
                Ok(Field::Relocated(self.machines_value(info, &rel, value)?))
            }
            "extraModules" if plain.len() == 1 => {
                self.extra_list(value)?;
                Ok(Field::Relocated(
                    info.roles
                        .iter()
                        .map(|r| {
                            (
                                format!("roles.{}.extraModules", attr_name(r)),
                                Source::Range(s, e),
                            )
                        })
                        .collect(),
                ))
            }
            "enabled" if plain.len() == 1 && value.syntax().text() == "true" => {
                Ok(Field::Relocated(Vec::new()))
            }
            other => Err(format!("`{other}` cannot be migrated as it is written")),
        }
    }

    /// The instance's attribute set, rewritten in place (edits pushed).
    fn body(&mut self, info: &Info, set: &ast::AttrSet, first: bool) -> Result<(), String> {
        for b in bindings(set)? {
            let names = names_of(&b).ok_or("an attribute name is not static")?;
            let value = b.value().ok_or("a binding has no value")?;
            let (bs, be) = range(b.syntax());
            match self.field(info, &names, &value)? {
                Field::InPlace(renames) => {
                    for (i, new) in renames {
                        let (s, e) = range(names[i].1.syntax());
                        self.edits.push(Edit {
                            start: s,
                            end: e,
                            text: new.to_string(),
                        });
                    }
                }
                Field::Relocated(list) => {
                    let copied: Vec<(usize, usize)> = list
                        .iter()
                        .map(|(_, Source::Range(s, e))| (*s, *e))
                        .collect();
                    let mut lines: Vec<String> = b
                        .syntax()
                        .descendants_with_tokens()
                        .filter_map(|t| t.into_token())
                        .filter(|t| t.kind() == SyntaxKind::TOKEN_COMMENT)
                        .filter(|t| {
                            let p = usize::from(t.text_range().start());
                            !copied.iter().any(|(s, e)| *s <= p && p < *e)
                        })
                        .map(|t| t.text().to_string())
                        .collect();
                    for (rel, src) in &list {
                        lines.push(format!("{rel} = {};", self.source(src)));
                    }
                    self.drop_within(bs, be);
                    if lines.is_empty() {
                        let end = rest_of_line(self.text, be)
                            .filter(|_| own_line(self.text, bs))
                            .map(|(e, _)| e);
                        let start = if end.is_some() {
                            line_start(self.text, bs)
                        } else {
                            bs
                        };
                        self.edits.push(Edit {
                            start,
                            end: end.unwrap_or(be),
                            text: String::new(),
                        });
                    } else {
                        let sep = if own_line(self.text, bs) {
                            format!("\n{}", indent_at(self.text, bs))
                        } else {
                            " ".into()
                        };
                        self.edits.push(Edit {
                            start: bs,
                            end: be,
                            text: lines.join(&sep),
                        });
                    }
                }
            }
        }
        if first {
            let brace = set
                .l_curly_token()
                .ok_or("the instance is not a complete attribute set")?;
            let p = usize::from(brace.text_range().end());
            let (s, e) = range(set.syntax());
            let inner = self.text.get(s..e).unwrap_or("");
            let module = (string(&info.module), "\"self\"");
            let text = if inner.contains('\n') {
                let indent = match set.entries().next() {
                    Some(first) if own_line(self.text, range(first.syntax()).0) => {
                        indent_at(self.text, range(first.syntax()).0).to_string()
                    }
                    _ => format!("{}  ", indent_at(self.text, s)),
                };
                format!(
                    "\n{indent}module.name = {};\n{indent}module.input = {};",
                    module.0, module.1
                )
            } else {
                format!(" module.name = {}; module.input = {};", module.0, module.1)
            };
            self.edits.push(Edit {
                start: p,
                end: p,
                text,
            });
        }
        Ok(())
    }

    /// The new bindings of one contribution, for its own indentation.
    fn render(
        &mut self,
        c: &Contribution,
        info: &Info,
        first: bool,
    ) -> Result<Vec<String>, String> {
        let value = c.binding.value().ok_or("a binding has no value")?;
        let (vs, ve) = range(value.syntax());
        let head = format!("{}instances.{}", c.prefix, c.names[c.at].1.syntax().text());
        let tail = &c.names[c.at + 1..];
        let mut out = Vec::new();
        if tail.is_empty() {
            let set = attrset(&value).ok_or("the instance is not written as an attribute set")?;
            self.body(info, &set, first)?;
            out.push(format!(
                "{head} = {};",
                splice(self.text, vs, ve, &self.edits)
            ));
            return Ok(out);
        }
        if first {
            out.push(format!("{head}.module.name = {};", string(&info.module)));
            out.push(format!("{head}.module.input = \"self\";"));
        }
        match self.field(info, tail, &value)? {
            Field::InPlace(renames) => {
                let rel: Vec<String> = tail
                    .iter()
                    .enumerate()
                    .map(|(i, (_, a))| {
                        renames
                            .iter()
                            .find(|(j, _)| *j == i)
                            .map(|(_, n)| n.to_string())
                            .unwrap_or_else(|| a.syntax().text().to_string())
                    })
                    .collect();
                out.push(format!(
                    "{head}.{} = {};",
                    rel.join("."),
                    splice(self.text, vs, ve, &self.edits)
                ));
            }
            Field::Relocated(list) => {
                for (rel, src) in &list {
                    out.push(format!("{head}.{rel} = {};", self.source(src)));
                }
            }
        }
        Ok(out)
    }
}

struct Rewrite {
    files: BTreeMap<PathBuf, FileChange>,
    migrated: BTreeSet<Key>,
    refused: BTreeMap<Key, (String, String)>,
}

/// A binding taken out of a `services` container, with its new text.
type Lifted<'a> = (&'a Contribution, Vec<String>);

/// One Nix file that defines legacy services, parsed, with what it contributes.
struct Parsed {
    file: FileId,
    contributions: Vec<Contribution>,
}

/// Rewrites every accepted instance in every file that defines legacy services.
fn rewrite_all(flake: &Flake, inventory: &Inventory, accepted: &BTreeMap<&Key, &Info>) -> Rewrite {
    let mut result = Rewrite {
        files: BTreeMap::new(),
        migrated: BTreeSet::new(),
        refused: BTreeMap::new(),
    };
    let mut by_file: BTreeMap<FileId, Vec<Span>> = BTreeMap::new();
    for span in &flake.service_keys {
        by_file.entry(span.file).or_default().push(*span);
    }
    let plainly = "write it out as `services.<module>.<instance> = { … };` in the file that holds the inventory, then run migrate again";

    // Pass 1: find every binding that contributes to a legacy instance.
    let mut parsed: Vec<Parsed> = Vec::new();
    for (file, spans) in by_file {
        let path = flake.sources.path(file);
        let text = flake.sources.text(file);
        let display = flake.sources.name(file);
        if path.extension().is_some_and(|e| e == "json") {
            if let Ok(data) = crate::read::json::parse(text, file)
                && let Some(services) = data.as_attrs().and_then(|a| a.get("services"))
                && let Some(modules) = services.value.as_attrs()
            {
                for (m, e) in modules {
                    for i in e.value.as_attrs().into_iter().flat_map(|a| a.keys()) {
                        result.refused.insert(
                            (m.clone(), i.clone()),
                            (
                                format!("it is defined in {display}, which migrate does not rewrite"),
                                "move it into a Nix file (or rewrite it by hand), then run migrate again".into(),
                            ),
                        );
                    }
                }
            }
            continue;
        }
        let parse = rnix::Root::parse(text);
        if !parse.errors().is_empty() {
            continue;
        }
        let root = parse.syntax();
        let mut contributions = Vec::new();
        let mut unsupported = Vec::new();
        for span in spans {
            let key_range = (span.start as usize, span.end as usize);
            let Some(b_s) = root
                .descendants()
                .filter_map(ast::AttrpathValue::cast)
                .find(|b| {
                    b.attrpath()
                        .is_some_and(|p| p.attrs().any(|a| range(a.syntax()) == key_range))
                })
            else {
                continue;
            };
            let Some(names) = names_of(&b_s) else {
                continue;
            };
            let Some(k) = names
                .iter()
                .position(|(_, a)| range(a.syntax()) == key_range)
            else {
                continue;
            };
            let Some(x) = b_s.syntax().parent().and_then(ast::AttrSet::cast) else {
                continue;
            };
            let prefix: Vec<String> = names[..k].iter().map(|(n, _)| n.clone()).collect();
            discover(&x, &prefix, &mut contributions, &mut unsupported);
        }
        for (m, i, reason) in unsupported {
            let keys: Vec<Key> = match i {
                Some(i) => vec![(m, i)],
                None => inventory
                    .services
                    .keys()
                    .filter(|(km, _)| m.is_empty() || *km == m)
                    .cloned()
                    .collect(),
            };
            for key in keys {
                result.refused.insert(key, (reason.clone(), plainly.into()));
            }
        }
        parsed.push(Parsed {
            file,
            contributions,
        });
    }

    // Where each instance is written: one attribute set, or several.
    let mut places: BTreeMap<&Key, BTreeSet<(FileId, usize)>> = BTreeMap::new();
    for p in &parsed {
        for c in &p.contributions {
            places.entry(&c.key).or_default().insert((p.file, c.x));
        }
    }
    for key in accepted.keys() {
        match places.get(key) {
            None => {
                result.refused.entry((*key).clone()).or_insert_with(|| {
                    (
                        "migrate finds no definition of it that it can rewrite (it is defined through a variable, a function or an import)".into(),
                        plainly.into(),
                    )
                });
            }
            Some(at) if at.len() > 1 => {
                let layered = inventory.services.get(*key).is_some_and(|i| {
                    i.config.is_some()
                        || !i.extra_modules.is_empty()
                        || i.machines.values().any(|m| m.config.is_some())
                });
                if layered {
                    result.refused.insert(
                        (*key).clone(),
                        (
                            "it is defined in several places, so its `config` would become settings defined in several places".into(),
                            "define it in one place, then run migrate again".into(),
                        ),
                    );
                }
            }
            Some(_) => {}
        }
    }
    result.refused.retain(|k, _| accepted.contains_key(k));
    if !result.refused.is_empty() {
        return result;
    }

    // Pass 2: rewrite.
    let mut given_module: BTreeSet<Key> = BTreeSet::new();
    for p in &parsed {
        let path = flake.sources.path(p.file).to_path_buf();
        let text = flake.sources.text(p.file);
        let mut rw = Rewriter {
            text,
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            root: &flake.root,
            edits: Vec::new(),
        };
        let mut outer: Vec<Edit> = Vec::new();
        // Bindings in containers, grouped by their outermost container.
        let mut groups: BTreeMap<(usize, usize), Vec<Lifted>> = BTreeMap::new();
        let mut migrated_here = BTreeSet::new();
        for c in &p.contributions {
            let Some(info) = accepted.get(&c.key) else {
                continue;
            };
            let first = !given_module.contains(&c.key);
            let texts = match rw.render(c, info, first) {
                Ok(t) => t,
                Err(reason) => {
                    result.refused.insert(
                        c.key.clone(),
                        (
                            reason,
                            "write it out plainly (attribute sets, lists of strings), or migrate it by hand".into(),
                        ),
                    );
                    continue;
                }
            };
            given_module.insert(c.key.clone());
            migrated_here.insert(c.key.clone());
            let (bs, be) = range(c.binding.syntax());
            rw.drop_within(bs, be);
            match c.chain.first() {
                None => {
                    if texts.is_empty() {
                        let end = rest_of_line(text, be)
                            .filter(|_| own_line(text, bs))
                            .map(|(e, _)| e);
                        outer.push(Edit {
                            start: if end.is_some() {
                                line_start(text, bs)
                            } else {
                                bs
                            },
                            end: end.unwrap_or(be),
                            text: String::new(),
                        });
                    } else {
                        let sep = if own_line(text, bs) {
                            format!("\n{}", indent_at(text, bs))
                        } else {
                            " ".into()
                        };
                        outer.push(Edit {
                            start: bs,
                            end: be,
                            text: texts.join(&sep),
                        });
                    }
                }
                Some(c0) => {
                    groups
                        .entry(range(c0.syntax()))
                        .or_default()
                        .push((c, texts));
                }
            }
        }
        for ((c0s, c0e), members) in groups {
            outer.push(lift(text, c0s, c0e, &members));
        }
        if outer.is_empty() {
            continue;
        }
        let mut new = splice(text, 0, text.len(), &outer);
        if crlf(text) {
            new = with_crlf(&new);
        }
        result.migrated.extend(migrated_here);
        result.files.insert(
            path,
            FileChange {
                display: flake.sources.name(p.file).to_string(),
                old: text.to_string(),
                new,
            },
        );
    }
    if !result.refused.is_empty() {
        result.files.clear();
        result.migrated.clear();
    }
    result
}

/// The replacement of a `services` container `c0` from which `members` are lifted into
/// `instances` bindings beside it. An emptied container disappears; its other comments stay.
fn lift(text: &str, c0s: usize, c0e: usize, members: &[Lifted]) -> Edit {
    let own = own_line(text, c0s);
    let indent = indent_at(text, c0s).to_string();
    let mut removals: Vec<Edit> = Vec::new();
    let mut lifted: Vec<String> = Vec::new();
    let mut removed_ranges: Vec<(usize, usize)> = Vec::new();
    for (i, (c, texts)) in members.iter().enumerate() {
        let (bs, be) = range(c.binding.syntax());
        let alone = own_line(text, bs);
        let rest = rest_of_line(text, be).filter(|_| alone);
        let (above_start, above) = if alone {
            comments_above(text, bs)
        } else {
            (bs, Vec::new())
        };
        let start = if rest.is_some() { above_start } else { bs };
        let end = rest.as_ref().map(|(e, _)| *e).unwrap_or(be);
        let start = if rest.is_some() {
            line_start(text, start)
        } else {
            start
        };
        removals.push(Edit {
            start,
            end,
            text: String::new(),
        });
        removed_ranges.push((start, end));
        let shift = if own && alone {
            indent.len() as isize - indent_at(text, bs).len() as isize
        } else {
            0
        };
        let node = c.binding.value().map(|v| v.syntax().clone());
        let mut block: Vec<String> = above;
        for t in texts {
            block.push(reindent(t, shift, node.as_ref()));
        }
        if let Some((_, Some(comment))) = &rest
            && let Some(last) = block.last_mut()
        {
            last.push(' ');
            last.push_str(comment);
        }
        // A blank line above the binding (or above the module's container it was the first
        // binding of) is kept between lifted bindings.
        let container_start = c
            .chain
            .get(1)
            .map(|k| range(k.syntax()).0)
            .filter(|k| own_line(text, *k) && comments_above(text, *k).0 <= start)
            .map(|k| line_start(text, comments_above(text, k).0));
        let blank =
            blank_above(text, start) || container_start.is_some_and(|k| blank_above(text, k));
        if i > 0 && alone && blank {
            lifted.push(String::new());
        }
        lifted.extend(block);
    }
    // Which containers are left empty?
    let removed = |b: &ast::AttrpathValue, removed_ranges: &[(usize, usize)]| {
        let (s, e) = range(b.syntax());
        removed_ranges.iter().any(|(rs, re)| *rs <= s && e <= *re)
    };
    let mut emptied: Vec<(usize, usize)> = Vec::new();
    // Every container of the group, innermost first.
    let mut containers: Vec<(usize, ast::AttrpathValue)> = Vec::new();
    for (c, _) in members {
        for (depth, container) in c.chain.iter().enumerate() {
            if !containers
                .iter()
                .any(|(_, k)| k.syntax() == container.syntax())
            {
                containers.push((depth, container.clone()));
            }
        }
    }
    containers.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
    for (_, container) in &containers {
        let Some(set) = container.value().as_ref().and_then(attrset) else {
            continue;
        };
        let mut all = true;
        for e in set.entries() {
            let gone = match &e {
                ast::Entry::AttrpathValue(b) => {
                    removed(b, &removed_ranges) || emptied.contains(&range(b.syntax()))
                }
                ast::Entry::Inherit(_) => false,
            };
            all &= gone;
        }
        if all {
            emptied.push(range(container.syntax()));
        }
    }
    let c0_emptied = emptied.contains(&(c0s, c0e));
    let rest = rest_of_line(text, c0e).filter(|_| own);
    let (start, end) = match &rest {
        Some((e, _)) => (line_start(text, c0s), *e),
        None => (c0s, c0e),
    };
    let mut out_lines: Vec<String> = Vec::new();
    if c0_emptied {
        // Comments of the container that did not move with a binding stay where they were
        // relative to the lifted bindings: before them, or after.
        let first = removed_ranges.iter().map(|(s, _)| *s).min().unwrap_or(c0s);
        let mut after: Vec<String> = Vec::new();
        let root = members[0].0.chain[0].syntax().clone();
        for t in root
            .descendants_with_tokens()
            .filter_map(|t| t.into_token())
        {
            if t.kind() != SyntaxKind::TOKEN_COMMENT {
                continue;
            }
            let p = usize::from(t.text_range().start());
            if p < c0s || p >= c0e || removed_ranges.iter().any(|(s, e)| *s <= p && p < *e) {
                continue;
            }
            if p < first {
                out_lines.push(t.text().to_string());
            } else {
                after.push(t.text().to_string());
            }
        }
        if let Some((_, Some(comment))) = &rest {
            after.push(comment.clone());
        }
        out_lines.extend(lifted);
        out_lines.extend(after);
        let text = if own {
            let mut s = String::new();
            for line in out_lines {
                if !line.is_empty() {
                    s.push_str(&indent);
                    s.push_str(&line);
                }
                s.push('\n');
            }
            s
        } else {
            out_lines.join(" ")
        };
        return Edit { start, end, text };
    }
    // Nested containers that were emptied go as a whole.
    for (s, e) in &emptied {
        let alone = own_line(text, *s);
        let rest = rest_of_line(text, *e).filter(|_| alone);
        let (rs, re) = match rest {
            Some((re, _)) => (line_start(text, *s), re),
            None => (*s, *e),
        };
        removals.retain(|r| !(rs <= r.start && r.end <= re));
        removals.push(Edit {
            start: rs,
            end: re,
            text: String::new(),
        });
    }
    let kept = splice(text, start, end, &removals);
    let text = if own {
        let mut s = String::new();
        for line in lifted {
            if !line.is_empty() {
                s.push_str(&indent);
                s.push_str(&line);
            }
            s.push('\n');
        }
        s.push_str(&kept);
        s
    } else {
        let mut parts = lifted;
        parts.push(kept);
        parts.join(" ")
    };
    Edit { start, end, text }
}

// ---------------------------------------------------------------------------------------------
// Verification

/// What read back must hold for each migrated instance: no legacy instance, an instance of the
/// clan.service module with the same members per role, the settings where the config was and
/// the same extra modules. Returns the reason for each instance that fails.
fn verify(
    flake: &Flake,
    inventory: &Inventory,
    graph: &Graph,
    migrated: &BTreeSet<Key>,
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
        let (Some(instance), Some(old)) = (inventory.services.get(key), graph.services.get(key))
        else {
            continue;
        };
        if let Some(reason) = compare(flake, instance, old, &key.1, back) {
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

fn compare(
    flake: &Flake,
    instance: &LegacyInstance,
    old: &crate::resolve::LegacyGraph,
    name: &str,
    back: &ReadBack,
) -> Option<String> {
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
    if new.module_name != instance.module || new.module_input.as_deref() != Some("self") {
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

fn same_opt(a: Option<&Data>, b: Option<&Data>) -> bool {
    let empty = |d: Option<&Data>| d.is_none_or(|d| d.as_attrs().is_some_and(|a| a.is_empty()));
    match (a, b) {
        (Some(a), Some(b)) => same_value(a, b),
        _ => empty(a) && empty(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_applies_the_edits_inside_the_range_in_order() {
        let text = "abcdefgh";
        let edits = vec![
            Edit {
                start: 5,
                end: 6,
                text: "F".into(),
            },
            Edit {
                start: 1,
                end: 3,
                text: "BC".into(),
            },
            Edit {
                start: 7,
                end: 9,
                text: "outside".into(),
            },
        ];
        assert_eq!(splice(text, 0, 7, &edits), "aBCdeFg");
        assert_eq!(splice(text, 2, 5, &edits), "cde");
    }

    #[test]
    fn lines_and_comments() {
        let text = "a = {\n  # one\n  # two\n  b = 1; # trailing\n  c = 2;\n};\n";
        let b = text.find("b = 1").unwrap();
        assert!(own_line(text, b));
        assert_eq!(indent_at(text, b), "  ");
        let (start, lines) = comments_above(text, b);
        assert_eq!(lines, ["# one", "# two"]);
        assert_eq!(&text[start..start + 7], "  # one");
        let end = b + "b = 1;".len();
        let (after, comment) = rest_of_line(text, end).unwrap();
        assert_eq!(comment.as_deref(), Some("# trailing"));
        assert!(text[after..].starts_with("  c = 2;"));
        assert!(rest_of_line(text, b).is_none());
    }

    #[test]
    fn reindent_shifts_continuation_lines_unless_a_string_would_change() {
        assert_eq!(reindent("{\n    a = 1;\n  }", -2, None), "{\n  a = 1;\n}");
        assert_eq!(reindent("{\n  a = 1;\n}", 2, None), "{\n    a = 1;\n  }");
        // Not enough indentation to remove: kept as it is.
        assert_eq!(reindent("{\n a = 1;\n}", -2, None), "{\n a = 1;\n}");
        let parse = rnix::Root::parse("{\n    a = \"x\n  y\";\n  }");
        let node = parse.syntax();
        assert_eq!(
            reindent("{\n    a = \"x\n  y\";\n  }", -2, Some(&node)),
            "{\n    a = \"x\n  y\";\n  }"
        );
    }

    #[test]
    fn static_names_only() {
        let parse = rnix::Root::parse(r#"{ a."b c".${"d"}.${e} = 1; }"#);
        let b = parse
            .syntax()
            .descendants()
            .find_map(ast::AttrpathValue::cast)
            .unwrap();
        let names: Vec<Option<String>> = b
            .attrpath()
            .unwrap()
            .attrs()
            .map(|a| static_name(&a))
            .collect();
        assert_eq!(
            names,
            [Some("a".into()), Some("b c".into()), Some("d".into()), None]
        );
    }
}
