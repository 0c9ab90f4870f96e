//! Property tests over generated inventories and mangled inputs (proptest, fixed seeds, a fixed
//! number of cases so CI takes seconds; `INVENTORY_GEN_FUZZ_CASES=N` and
//! `INVENTORY_GEN_FUZZ_SEED=S` turn them into a longer fuzzing run).
//!
//! - `generated_inventories_round_trip_through_nix`: random inventories — names that are Nix
//!   keywords, tags, role names and settings full of `${`, `''`, `\`, quotes, newlines, control
//!   characters and unicode, every number, priority wrappers — written as Nix and/or
//!   `inventory.json` by an encoder of this file's own. `generate` must succeed, a second run
//!   must change nothing, and real `nix-instantiate` (one call per case) must parse every
//!   generated file and give back every tag, description, role name, membership and setting
//!   exactly as written; `inventory-gen eval` must give back the inventory itself.
//! - `the_pipeline_never_panics_on_mangled_inputs`: those inventories cut, spliced and
//!   sprinkled with Nix syntax; and random token soup as flake.nix, clan.nix and
//!   inventory.json. `eval`, `check`, `show`, `graph`, `migrate --dry-run` and `generate` must
//!   never panic, and a failing run must leave the output directory as it was.

mod reliability;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};
use reliability::{differences, run_in_process, snapshot, write_files};
use serde_json::{Value as J, json};
use std::collections::BTreeMap;
use std::path::Path;

fn config(cases: u32, seed: u64) -> Config {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    Config {
        cases: env("INVENTORY_GEN_FUZZ_CASES").map_or(cases, |c| c as u32),
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(env("INVENTORY_GEN_FUZZ_SEED").unwrap_or(seed)),
        failure_persistence: None,
        max_shrink_iters: 512,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The model: what an inventory holds, independent of how it is written.

#[derive(Clone, Debug)]
enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// `mantissa × 10^exponent`, at most six significant digits, so that Nix's JSON printer
    /// (six significant digits) shows it exactly.
    Float(i32, i32),
    Str(String),
    List(Vec<Value>),
    Attrs(BTreeMap<String, Value>),
    /// `lib.mkForce` (50), `lib.mkDefault` (1000) or `lib.mkOverride n`.
    Wrap(i64, Box<Value>),
}

impl Value {
    fn float(m: i32, e: i32) -> f64 {
        format!("{m}e{e}").parse().expect("float")
    }

    /// The JSON `inventory-gen eval` (and `nix-instantiate --json`) prints for this value.
    fn json(&self) -> J {
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => json!(b),
            Value::Int(i) => json!(i),
            Value::Float(m, e) => json!(Value::float(*m, *e)),
            Value::Str(s) => json!(s),
            Value::List(items) => J::Array(items.iter().map(Value::json).collect()),
            Value::Attrs(a) => J::Object(a.iter().map(|(k, v)| (k.clone(), v.json())).collect()),
            Value::Wrap(p, v) => json!({ "_type": "override", "content": v.json(), "priority": p }),
        }
    }

    /// As [`Value::json`], with floats tagged `{"__float": x}` (as the Nix side tags them) so
    /// that an integer written for a float is caught.
    fn tagged(&self) -> J {
        match self {
            Value::Float(m, e) => json!({ "__float": Value::float(*m, *e) }),
            Value::List(items) => J::Array(items.iter().map(Value::tagged).collect()),
            Value::Attrs(a) => J::Object(a.iter().map(|(k, v)| (k.clone(), v.tagged())).collect()),
            Value::Wrap(p, v) => {
                json!({ "_type": "override", "content": v.tagged(), "priority": p })
            }
            other => other.json(),
        }
    }

    fn without_wrappers(&self) -> Value {
        match self {
            Value::Wrap(_, v) => v.without_wrappers(),
            Value::List(items) => Value::List(items.iter().map(Value::without_wrappers).collect()),
            Value::Attrs(a) => Value::Attrs(
                a.iter()
                    .map(|(k, v)| (k.clone(), v.without_wrappers()))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

#[derive(Clone, Debug)]
struct Machine {
    tags: Vec<String>,
    darwin: bool,
    description: Option<String>,
    target_host: Option<String>,
}

#[derive(Clone, Debug, Default)]
struct Role {
    machines: BTreeMap<String, Option<Value>>,
    tags: BTreeMap<String, Option<Value>>,
    settings: Option<Value>,
    /// Write `tags` as a list (only when no tag has settings).
    tags_as_list: bool,
    /// Inline modules (written in Nix only): attribute sets of strings, in source form.
    extra: Vec<Module>,
}

/// An inline module `{ k = "…"; }`, with a comment, strings spanning lines, odd indentation:
/// the generated file carries its source text, which must keep its meaning.
#[derive(Clone, Debug)]
struct Module {
    comment: String,
    values: BTreeMap<String, String>,
    /// How each string is written: 0 `"…"` with escapes, 1 `"…"` with raw line breaks,
    /// 2 `''…''` over several lines when possible.
    style: u8,
}

impl Module {
    fn source(&self) -> String {
        let mut out = String::from("{\n");
        if !self.comment.is_empty() {
            out.push_str(&self.comment);
            out.push('\n');
        }
        for (k, v) in &self.values {
            let text = match self.style {
                1 => quoted_with(v, true),
                2 => multiline(v).unwrap_or_else(|| quoted(v)),
                _ => quoted(v),
            };
            out.push_str(&format!("                {} = {text};\n", name(k)));
        }
        out.push_str("              }");
        out
    }

    fn json(&self) -> J {
        json!(self.values)
    }
}

#[derive(Clone, Debug)]
struct Model {
    meta_name: String,
    machines: BTreeMap<String, Machine>,
    instances: BTreeMap<String, BTreeMap<String, Role>>,
    machines_in_json: bool,
    instances_in_json: bool,
}

impl Model {
    fn tags_of(&self, machine: &str) -> Vec<String> {
        let m = &self.machines[machine];
        let mut tags = m.tags.clone();
        tags.push("all".into());
        tags.push(if m.darwin { "darwin" } else { "nixos" }.into());
        tags.sort();
        tags.dedup();
        tags
    }

    fn members(&self, role: &Role) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        for name in self.machines.keys() {
            let tags = self.tags_of(name);
            if role.machines.contains_key(name) || role.tags.keys().any(|t| tags.contains(t)) {
                let with_settings: Vec<String> = role
                    .tags
                    .iter()
                    .filter(|(t, s)| s.is_some() && tags.contains(t))
                    .map(|(t, _)| t.clone())
                    .collect();
                out.insert(name.clone(), with_settings);
            }
        }
        out
    }

    fn machine_json(&self, m: &Machine) -> J {
        let mut o = serde_json::Map::new();
        if !m.tags.is_empty() {
            o.insert("tags".into(), json!(m.tags));
        }
        if m.darwin {
            o.insert("machineClass".into(), json!("darwin"));
        }
        if let Some(d) = &m.description {
            o.insert("description".into(), json!(d));
        }
        if let Some(t) = &m.target_host {
            o.insert("deploy".into(), json!({ "targetHost": t }));
        }
        J::Object(o)
    }

    fn role_json(&self, role: &Role, settings: impl Fn(&Value) -> J) -> J {
        let mut o = serde_json::Map::new();
        if !role.machines.is_empty() {
            let machines = role
                .machines
                .iter()
                .map(|(m, s)| {
                    let v = match s {
                        Some(s) => json!({ "settings": settings(s) }),
                        None => json!({}),
                    };
                    (m.clone(), v)
                })
                .collect();
            o.insert("machines".into(), J::Object(machines));
        }
        if !role.tags.is_empty() {
            if role.tags_as_list {
                o.insert("tags".into(), json!(role.tags.keys().collect::<Vec<_>>()));
            } else {
                let tags = role
                    .tags
                    .iter()
                    .map(|(t, s)| {
                        let v = match s {
                            Some(s) => json!({ "settings": settings(s) }),
                            None => json!({}),
                        };
                        (t.clone(), v)
                    })
                    .collect();
                o.insert("tags".into(), J::Object(tags));
            }
        }
        if let Some(s) = &role.settings {
            o.insert("settings".into(), settings(s));
        }
        if !role.extra.is_empty() {
            // Modules written inline are carried as code, marked `$nix` in eval's JSON.
            let sources = role
                .extra
                .iter()
                .map(|m| json!({ "$nix": m.source() }))
                .collect();
            o.insert("extraModules".into(), J::Array(sources));
        }
        J::Object(o)
    }

    fn instances_json(&self, settings: impl Fn(&Value) -> J + Copy) -> J {
        J::Object(
            self.instances
                .iter()
                .map(|(i, roles)| {
                    let roles: serde_json::Map<String, J> = roles
                        .iter()
                        .map(|(r, role)| (r.clone(), self.role_json(role, settings)))
                        .collect();
                    (
                        i.clone(),
                        json!({ "module": { "name": "svc" }, "roles": roles }),
                    )
                })
                .collect(),
        )
    }

    fn machines_json(&self) -> J {
        J::Object(
            self.machines
                .iter()
                .map(|(n, m)| (n.clone(), self.machine_json(m)))
                .collect(),
        )
    }

    /// What `inventory-gen eval` must print.
    fn eval_json(&self) -> J {
        let mut o = serde_json::Map::new();
        o.insert("meta".into(), json!({ "name": self.meta_name }));
        if !self.machines.is_empty() {
            o.insert("machines".into(), self.machines_json());
        }
        if !self.instances.is_empty() {
            o.insert("instances".into(), self.instances_json(Value::json));
        }
        J::Object(o)
    }

    /// What the generated files must give back when evaluated (see `NIX_PROBE`).
    fn generated_json(&self) -> J {
        let machines: serde_json::Map<String, J> = self
            .machines
            .iter()
            .map(|(n, m)| {
                let class = if m.darwin { "darwin" } else { "nixos" };
                let v = json!({
                    "class": class,
                    "description": m.description,
                    "tags": self.tags_of(n),
                    "targetHost": m.target_host,
                });
                (n.clone(), v)
            })
            .collect();
        let mut stubs = serde_json::Map::new();
        for (n, m) in &self.machines {
            let mut instances = serde_json::Map::new();
            for (i, roles) in &self.instances {
                let held: Vec<&String> = roles
                    .iter()
                    .filter(|(_, role)| self.members(role).contains_key(n))
                    .map(|(r, _)| r)
                    .collect();
                if !held.is_empty() {
                    instances.insert(i.clone(), json!(held));
                }
            }
            let class = if m.darwin { "darwin" } else { "nixos" };
            stubs.insert(
                n.clone(),
                json!({ "name": n, "class": class, "instances": instances }),
            );
        }
        let mut instances = serde_json::Map::new();
        for (i, roles) in &self.instances {
            let mut out = serde_json::Map::new();
            for (r, role) in roles {
                let mut members = serde_json::Map::new();
                for (m, tags) in self.members(role) {
                    let mut o = serde_json::Map::new();
                    if let Some(Some(s)) = role.machines.get(&m) {
                        o.insert("settings".into(), s.tagged());
                    }
                    if !tags.is_empty() {
                        o.insert("tags".into(), json!(tags));
                    }
                    members.insert(m, J::Object(o));
                }
                let mut o = serde_json::Map::new();
                if !role.extra.is_empty() {
                    o.insert(
                        "extraModules".into(),
                        J::Array(role.extra.iter().map(Module::json).collect()),
                    );
                }
                o.insert("machines".into(), J::Object(members));
                if let Some(s) = &role.settings {
                    o.insert("settings".into(), s.tagged());
                }
                let tag_settings: serde_json::Map<String, J> = role
                    .tags
                    .iter()
                    .filter_map(|(t, s)| {
                        s.as_ref()
                            .map(|s| (t.clone(), json!({ "settings": s.tagged() })))
                    })
                    .collect();
                if !tag_settings.is_empty() {
                    o.insert("tags".into(), J::Object(tag_settings));
                }
                out.insert(r.clone(), J::Object(o));
            }
            instances.insert(i.clone(), J::Object(out));
        }
        json!({ "runtime": true, "machines": machines, "stubs": stubs, "instances": instances })
    }
}

// ---------------------------------------------------------------------------------------------
// Writing the model, with encoders of this file's own (not the tool's).

const KEYWORDS: [&str; 10] = [
    "assert", "else", "if", "in", "inherit", "let", "or", "rec", "then", "with",
];

/// A `"…"` string holding exactly `s`.
fn quoted(s: &str) -> String {
    quoted_with(s, false)
}

/// A `"…"` string holding exactly `s`, line breaks written as they are or escaped.
fn quoted_with(s: &str, raw_line_breaks: bool) -> String {
    let mut out = String::from("\"");
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' if raw_line_breaks => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.get(i + 1) == Some(&'{') => out.push_str("\\$"),
            c => out.push(*c),
        }
    }
    out.push('"');
    out
}

/// An indented `''…''` string holding exactly `s`, when the rules for those strings allow it
/// without escapes.
fn indented(s: &str) -> Option<String> {
    let first = s.chars().next()?;
    let last_line = s.rsplit('\n').next().unwrap_or("");
    let trailing_spaces =
        s.contains('\n') && !last_line.is_empty() && last_line.trim_matches(' ').is_empty();
    if matches!(first, ' ' | '\n' | '\t') || s.contains(['$', '\'', '\r']) || trailing_spaces {
        return None;
    }
    Some(format!("''{s}''"))
}

/// An indented string over several lines, indented by 18 spaces, holding exactly `s`, when
/// that is possible without escapes.
fn multiline(s: &str) -> Option<String> {
    if s.contains(['$', '\'', '\r']) {
        return None;
    }
    let lines: Vec<&str> = s.split('\n').collect();
    // Nix strips the smallest indentation of lines with content: one must start unindented.
    let unindented = lines
        .iter()
        .any(|l| !l.trim_matches(' ').is_empty() && !l.starts_with(' '));
    if !unindented {
        return None;
    }
    let last = lines.last().copied().unwrap_or("");
    if !last.is_empty() && last.trim_matches(' ').is_empty() {
        return None; // a last line of spaces is dropped
    }
    let mut out = String::from("''\n");
    for (i, line) in lines.iter().enumerate() {
        if i + 1 == lines.len() && line.is_empty() {
            break;
        }
        out.push_str(&" ".repeat(18));
        out.push_str(line);
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
    if s.ends_with('\n') {
        out.push_str(&" ".repeat(16));
    }
    out.push_str("''");
    Some(out)
}

fn string(s: &str) -> String {
    if s.len() % 2 == 1
        && let Some(text) = indented(s)
    {
        return text;
    }
    quoted(s)
}

fn name(k: &str) -> String {
    let mut chars = k.chars();
    let bare = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'));
    if bare && !KEYWORDS.contains(&k) {
        k.to_string()
    } else {
        quoted(k)
    }
}

fn nix(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) if *i == i64::MIN => "(-9223372036854775807 - 1)".into(),
        Value::Int(i) if *i < 0 => format!("({i})"),
        Value::Int(i) => i.to_string(),
        Value::Float(m, e) if *m < 0 => format!("(-{}.0e{e})", -m),
        Value::Float(m, e) => format!("{m}.0e{e}"),
        Value::Str(s) => string(s),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|i| format!("({})", nix(i))).collect();
            format!("[ {} ]", items.join(" "))
        }
        Value::Attrs(a) => {
            let entries: Vec<String> = a
                .iter()
                .map(|(k, v)| format!("{} = {};", name(k), nix(v)))
                .collect();
            format!("{{ {} }}", entries.join(" "))
        }
        Value::Wrap(50, v) => format!("(lib.mkForce ({}))", nix(v)),
        Value::Wrap(1000, v) => format!("(lib.mkDefault ({}))", nix(v)),
        Value::Wrap(p, v) => format!("(lib.mkOverride ({p}) ({}))", nix(v)),
    }
}

/// JSON as Nix code (for the parts of the inventory written in Nix).
fn nix_of_json(j: &J) -> String {
    match j {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => n.to_string(),
        J::String(s) => string(s),
        J::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| format!("({})", nix_of_json(i)))
                .collect();
            format!("[ {} ]", items.join(" "))
        }
        J::Object(o) => {
            let entries: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("{} = {};", name(k), nix_of_json(v)))
                .collect();
            format!("{{ {} }}", entries.join(" "))
        }
    }
}

/// The instances as Nix, settings with their wrappers.
fn instances_nix(model: &Model) -> String {
    let mut out = String::from("{\n");
    for (i, roles) in &model.instances {
        out.push_str(&format!(
            "        {} = {{\n          module.name = \"svc\";\n",
            name(i)
        ));
        if roles.is_empty() {
            out.push_str("          roles = { };\n");
        }
        for (r, role) in roles {
            out.push_str(&format!("          roles.{} = {{\n", name(r)));
            if !role.machines.is_empty() {
                out.push_str("            machines = {\n");
                for (m, s) in &role.machines {
                    match s {
                        Some(s) => out.push_str(&format!(
                            "              {} = {{ settings = {}; }};\n",
                            name(m),
                            nix(s)
                        )),
                        None => out.push_str(&format!("              {} = {{ }};\n", name(m))),
                    }
                }
                out.push_str("            };\n");
            }
            if !role.tags.is_empty() {
                if role.tags_as_list {
                    let tags: Vec<String> = role.tags.keys().map(|t| string(t)).collect();
                    out.push_str(&format!("            tags = [ {} ];\n", tags.join(" ")));
                } else {
                    out.push_str("            tags = {\n");
                    for (t, s) in &role.tags {
                        match s {
                            Some(s) => out.push_str(&format!(
                                "              {} = {{ settings = {}; }};\n",
                                name(t),
                                nix(s)
                            )),
                            None => out.push_str(&format!("              {} = {{ }};\n", name(t))),
                        }
                    }
                    out.push_str("            };\n");
                }
            }
            if let Some(s) = &role.settings {
                out.push_str(&format!("            settings = {};\n", nix(s)));
            }
            if !role.extra.is_empty() {
                out.push_str("            extraModules = [\n");
                for m in &role.extra {
                    out.push_str(&format!("              {}\n", m.source()));
                }
                out.push_str("            ];\n");
            }
            out.push_str("          };\n");
        }
        out.push_str("        };\n");
    }
    out.push_str("      }");
    out
}

/// The flake's files: flake.nix, the service module, and inventory.json when used.
fn flake_files(model: &Model) -> Vec<(String, String)> {
    let mut roles: Vec<&String> = model.instances.values().flat_map(|r| r.keys()).collect();
    roles.sort();
    roles.dedup();
    let roles: Vec<String> = roles
        .iter()
        .map(|r| format!("{} = {{ }};", name(r)))
        .collect();
    let module = format!(
        "{{\n  _class = \"clan.service\";\n  manifest.name = \"svc\";\n  roles = {{ {} }};\n}}\n",
        roles.join(" ")
    );
    let mut inventory = format!("meta.name = {};\n", string(&model.meta_name));
    let mut json_doc = serde_json::Map::new();
    if !model.machines.is_empty() {
        if model.machines_in_json {
            json_doc.insert("machines".into(), model.machines_json());
        } else {
            inventory.push_str(&format!(
                "      machines = {};\n",
                nix_of_json(&model.machines_json())
            ));
        }
    }
    if !model.instances.is_empty() {
        if model.instances_in_json {
            json_doc.insert("instances".into(), model.instances_json(Value::json));
        } else {
            inventory.push_str(&format!("      instances = {};\n", instances_nix(model)));
        }
    }
    let flake = format!(
        r#"{{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  outputs =
    {{ nixpkgs, ... }}:
    let
      lib = nixpkgs.lib;
    in
    {{
      modules.svc = ./services/svc.nix;
      inventory = {{
      {inventory}      }};
    }};
}}
"#
    );
    let mut files = vec![
        ("flake.nix".to_string(), flake),
        ("services/svc.nix".to_string(), module),
    ];
    if !json_doc.is_empty() {
        files.push((
            "inventory.json".into(),
            serde_json::to_string_pretty(&J::Object(json_doc)).expect("json"),
        ));
    }
    files
}

// ---------------------------------------------------------------------------------------------
// Strategies.

const FRAGMENTS: &[&str] = &[
    "${",
    "''",
    "'''",
    "''${",
    "''\\",
    "\\",
    "\\${",
    "\"",
    "\n",
    "\r",
    "\r\n",
    "\t",
    "$",
    "{",
    "}",
    "$$",
    "#",
    "/*",
    "*/",
    ";",
    "=",
    " ",
    "  ",
    "ä",
    "日本",
    "🦀",
    "\u{2028}",
    "\u{feff}",
    "\u{7f}",
    "\u{1}",
    "\u{1b}[31m",
    "${x}",
    "\"; evil = true; x = \"",
    "inherit",
    "\\n",
    "''\n  a\n",
    "or",
    "in",
];

fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => any::<char>()
            .prop_filter("Nix strings cannot hold NUL", |c| *c != '\0')
            .prop_map(String::from),
        4 => prop::sample::select(FRAGMENTS).prop_map(String::from),
        2 => "[a-z]{1,6}",
    ];
    prop::collection::vec(piece, 0..6).prop_map(|p| p.concat())
}

fn file_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z0-9_-]{1,10}",
        1 => prop::sample::select(&[
            "in", "or", "let", "rec", "if", "then", "else", "assert", "with", "inherit", "true",
            "null", "import", "builtins", "__curPos", "-", "_", "0", "9x", "-x-", "default",
        ][..]).prop_map(String::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), Just(-1)].prop_map(Value::Int),
        (-999_999i32..=999_999, -30i32..=30).prop_map(|(m, e)| Value::Float(m, e)),
        text().prop_map(Value::Str),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::btree_map(text(), inner.clone(), 0..4).prop_map(Value::Attrs),
            (
                prop_oneof![Just(50i64), Just(1000), 0i64..2000, -100i64..0],
                inner
            )
                .prop_map(|(p, v)| Value::Wrap(p, Box::new(v))),
        ]
    })
}

fn settings() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map(text(), value(), 0..4),
        prop::option::weighted(0.2, prop_oneof![Just(50i64), Just(1000)]),
    )
        .prop_map(|(a, wrap)| match wrap {
            Some(p) => Value::Wrap(p, Box::new(Value::Attrs(a))),
            None => Value::Attrs(a),
        })
}

#[derive(Clone, Debug)]
struct RawRole {
    machines: Vec<(usize, Option<Value>)>,
    /// An index into the tags in use, or a fresh tag.
    tags: Vec<(Result<usize, String>, Option<Value>)>,
    settings: Option<Value>,
    tags_as_list: bool,
    extra: Vec<Module>,
}

fn module() -> impl Strategy<Value = Module> {
    let comment = prop_oneof![
        Just(String::new()),
        text().prop_map(|t| format!("                # {}", t.replace(['\n', '\r'], " "))),
        text().prop_map(|t| format!("/* {}\n{} */", t.replace("*/", ""), t.replace("*/", ""))),
    ];
    (
        comment,
        prop::collection::btree_map(text(), text(), 0..3),
        0u8..3,
    )
        .prop_map(|(comment, values, style)| Module {
            comment,
            values,
            style,
        })
}

fn raw_role() -> impl Strategy<Value = RawRole> {
    (
        prop::collection::vec(module(), 0..2),
        prop::collection::vec((any::<usize>(), prop::option::of(settings())), 0..3),
        prop::collection::vec(
            (
                prop_oneof![3 => any::<usize>().prop_map(Ok), 1 => text().prop_map(Err)],
                prop::option::of(settings()),
            ),
            0..3,
        ),
        prop::option::of(settings()),
        any::<bool>(),
    )
        .prop_map(|(extra, machines, tags, settings, tags_as_list)| RawRole {
            machines,
            tags,
            settings,
            tags_as_list,
            extra,
        })
}

fn model() -> impl Strategy<Value = Model> {
    let machine = (
        prop::collection::vec(text(), 0..3),
        prop::bool::weighted(0.3),
        prop::option::of(text()),
        prop::option::of(text()),
    )
        .prop_map(|(tags, darwin, description, target_host)| Machine {
            tags,
            darwin,
            description,
            target_host,
        });
    (
        text(),
        prop::collection::vec((file_name(), machine), 0..5),
        prop::collection::vec(
            (
                file_name(),
                prop::collection::vec((text(), raw_role()), 0..3),
            ),
            0..4,
        ),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(meta_name, machines, instances, machines_in_json, instances_in_json)| {
                build(
                    meta_name,
                    machines,
                    instances,
                    machines_in_json,
                    instances_in_json,
                )
            },
        )
}

type RawInstances = Vec<(String, Vec<(String, RawRole)>)>;

fn build(
    meta_name: String,
    raw_machines: Vec<(String, Machine)>,
    raw_instances: RawInstances,
    machines_in_json: bool,
    instances_in_json: bool,
) -> Model {
    // Names differing only in case are refused (tested elsewhere); keep the first.
    let mut machines = BTreeMap::new();
    let mut folded = std::collections::BTreeSet::new();
    for (n, m) in raw_machines {
        if folded.insert(n.to_lowercase()) {
            machines.insert(n, m);
        }
    }
    let names: Vec<String> = machines.keys().cloned().collect();
    let mut tags_in_use: Vec<String> = vec!["all".into(), "nixos".into(), "darwin".into()];
    for m in machines.values() {
        tags_in_use.extend(m.tags.iter().cloned());
    }
    let mut instances = BTreeMap::new();
    let mut folded = std::collections::BTreeSet::new();
    for (i, raw_roles) in raw_instances {
        if !folded.insert(i.to_lowercase()) {
            continue;
        }
        let mut roles = BTreeMap::new();
        for (r, raw) in raw_roles {
            let mut role = Role::default();
            if !names.is_empty() {
                for (index, s) in raw.machines {
                    role.machines.insert(names[index % names.len()].clone(), s);
                }
            }
            for (tag, s) in raw.tags {
                let tag = match tag {
                    Ok(index) => tags_in_use[index % tags_in_use.len()].clone(),
                    Err(fresh) => fresh,
                };
                role.tags.insert(tag, s);
            }
            role.settings = raw.settings;
            role.extra = raw.extra;
            role.tags_as_list = raw.tags_as_list && role.tags.values().all(Option::is_none);
            roles.insert(r, role);
        }
        instances.insert(i, roles);
    }
    let mut model = Model {
        meta_name,
        machines,
        instances,
        machines_in_json,
        instances_in_json,
    };
    if instances_in_json {
        // JSON has no priority wrappers.
        let strip = |v: &mut Option<Value>| {
            if let Some(x) = v {
                *x = x.without_wrappers();
            }
        };
        for roles in model.instances.values_mut() {
            for role in roles.values_mut() {
                role.extra.clear(); // JSON has no modules either
                strip(&mut role.settings);
                role.machines.values_mut().for_each(strip);
                role.tags.values_mut().for_each(strip);
            }
        }
    }
    model
}

// ---------------------------------------------------------------------------------------------
// The properties.

/// Evaluates every generated file with the real Nix; `generated_json` is what it must print.
const NIX_PROBE: &str = r#"
let
  describe = v:
    if builtins.isAttrs v then builtins.mapAttrs (_: describe) v
    else if builtins.isList v then map describe v
    else if builtins.isFloat v then { __float = v; }
    else v;
  lib = {
    mkForce = c: { _type = "override"; priority = 50; content = c; };
    mkDefault = c: { _type = "override"; priority = 1000; content = c; };
    mkOverride = p: c: { _type = "override"; priority = p; content = c; };
  };
  out = ./generated/inventory;
  index = import out { };
  stub = m: import (out + "/machines/${m}.nix") { machine = x: x; };
  # A stub's instances are a function of `lib` when its entries hold settings.
  stubInstances = s: if builtins.isFunction s.instances then s.instances { inherit lib; } else s.instances;
  files = builtins.filter (f: builtins.match ".*[.]members[.]nix" f == null)
    (builtins.attrNames (builtins.readDir (out + "/instances")));
  instanceNames =
    if builtins.pathExists (out + "/instances") then
      map (f: builtins.substring 0 (builtins.stringLength f - 4) f) files
    else [ ];
  instance = i: import (out + "/instances/${i}.nix") { inherit lib; inputs = { }; };
  # Each stub's own entries are the machine's entries in the instances' members files.
  consistent = builtins.all (name:
    let own = stubInstances (stub name); in
    builtins.all (i:
      builtins.all (r: own.${i}.${r} == (instance i).members.${r}.${name})
        (builtins.attrNames own.${i}))
      (builtins.attrNames own))
    (builtins.attrNames index.machines);
in
assert consistent;
describe {
  runtime = builtins.isFunction (import (out + "/runtime.nix"));
  machines = builtins.mapAttrs (_: m: {
    inherit (m) class description tags;
    targetHost = m.deploy.targetHost;
  }) index.machines;
  stubs = builtins.mapAttrs (name: _: let s = stub name; in {
    inherit (s) name class;
    instances = builtins.mapAttrs (_: builtins.attrNames) (stubInstances s);
  }) index.machines;
  # Each instance's roles with their members, as one attribute set per role.
  instances = builtins.listToAttrs (map (i: {
    name = i;
    value = let f = instance i; in
      builtins.mapAttrs (r: role: role // { machines = f.members.${r}; }) f.roles;
  }) instanceNames);
}
"#;

/// Nix prints a float with an integral value as an integer (`3`, not `3.0`): compare the
/// tagged floats by value.
fn floats_as_text(j: &J) -> J {
    match j {
        J::Object(o) if o.len() == 1 && o.contains_key("__float") => {
            json!({ "__float": format!("{:?}", o["__float"].as_f64().unwrap_or(f64::NAN)) })
        }
        J::Object(o) => J::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), floats_as_text(v)))
                .collect(),
        ),
        J::Array(a) => J::Array(a.iter().map(floats_as_text).collect()),
        other => other.clone(),
    }
}

fn generate_ok(dir: &Path) -> Result<String, TestCaseError> {
    let run = run_in_process(&["generate", "--flake", dir.to_str().expect("utf-8")])
        .map_err(|p| TestCaseError::fail(format!("panicked: {p}")))?;
    prop_assert_eq!(run.code, 0, "generate failed:\n{}", run.rendered);
    Ok(run.stdout)
}

fn round_trip(model: &Model) -> Result<(), TestCaseError> {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path();
    let files = flake_files(model);
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    write_files(dir, &refs);
    let dir_str = dir.to_str().expect("utf-8");

    // The reader gives back the inventory.
    let eval = run_in_process(&["eval", "--flake", dir_str])
        .map_err(|p| TestCaseError::fail(format!("eval panicked: {p}")))?;
    prop_assert_eq!(eval.code, 0, "eval failed:\n{}", eval.rendered);
    let read: J = serde_json::from_str(&eval.stdout).expect("eval prints JSON");
    prop_assert_eq!(&read, &model.eval_json(), "eval differs from the inventory");

    // Generate, then again: nothing changes.
    generate_ok(dir)?;
    let first = snapshot(&dir.join("generated"));
    let second = generate_ok(dir)?;
    prop_assert!(
        second.contains(": 0 changed,"),
        "second run changed files:\n{}",
        second
    );
    prop_assert_eq!(
        differences(&first, &snapshot(&dir.join("generated"))),
        Vec::<String>::new()
    );
    let check = run_in_process(&["check", "--flake", dir_str])
        .map_err(|p| TestCaseError::fail(format!("check panicked: {p}")))?;
    prop_assert_eq!(check.code, 0, "check after generate:\n{}", check.stdout);

    // Nix parses every file and gives every value back.
    let actual = reliability::nix_eval_json(dir, NIX_PROBE).map_err(|e| {
        let listing: Vec<String> = reliability::texts(&first)
            .into_iter()
            .filter(|(p, _)| !p.ends_with("runtime.nix"))
            .map(|(p, t)| format!("--- {}\n{t}", p.display()))
            .collect();
        TestCaseError::fail(format!(
            "nix-instantiate failed:\n{e}\n{}",
            listing.join("\n")
        ))
    })?;
    let (actual, expected) = (
        floats_as_text(&actual),
        floats_as_text(&model.generated_json()),
    );
    if actual != expected {
        let listing: Vec<String> = reliability::texts(&first)
            .into_iter()
            .filter(|(p, _)| !p.ends_with("runtime.nix"))
            .map(|(p, t)| format!("--- {}\n{t}", p.display()))
            .collect();
        return Err(TestCaseError::fail(format!(
            "the generated files mean something else\nexpected: {expected:#}\nactual:   {actual:#}\n{}",
            listing.join("\n")
        )));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(24, 0x5eed_0001))]

    #[test]
    fn generated_inventories_round_trip_through_nix(model in model()) {
        round_trip(&model)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Mangled inputs: no panic, and a failing run leaves the output alone.

const NIX_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "=",
    ";",
    ".",
    ":",
    "@",
    "...",
    ",",
    "?",
    "//",
    "++",
    "+",
    "-",
    "*",
    "/",
    "==",
    "!=",
    "<",
    ">",
    "&&",
    "||",
    "->",
    "!",
    "|>",
    "<|",
    "let",
    "in",
    "rec",
    "inherit",
    "with",
    "assert",
    "if",
    "then",
    "else",
    "or",
    "inventory",
    "machines",
    "instances",
    "roles",
    "settings",
    "tags",
    "meta",
    "modules",
    "imports",
    "outputs",
    "inputs",
    "clan",
    "lib",
    "mkForce",
    "mkDefault",
    "mkOverride",
    "import",
    "builtins",
    "fromJSON",
    "readFile",
    "throw",
    "abort",
    "x",
    "jon",
    "_",
    "\"a\"",
    "\"${\"",
    "\"${x}\"",
    "''a''",
    "''${x}''",
    "./a.nix",
    "./clan.nix",
    "./flake.nix",
    "../x",
    "/etc/passwd",
    "<nixpkgs>",
    "~/x",
    "./.",
    "1",
    "-1",
    "0.5",
    "1.0e400",
    "99999999999999999999",
    "9223372036854775807",
    "true",
    "null",
    "# c\n",
    "/* c */",
    "\n",
    " ",
    "${",
    "mkFlake",
    "clan-core",
    "buildClan",
    "extraModules",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(NIX_TOKENS), 0..60).prop_map(|t| t.join(" "))
}

#[derive(Clone, Debug)]
enum Mangle {
    Cut(usize),
    Remove(usize, usize),
    Insert(usize, String),
    Duplicate(usize, usize),
}

fn mangle(text: &str, edits: &[Mangle]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for edit in edits {
        let len = bytes.len().max(1);
        match edit {
            Mangle::Cut(at) => bytes.truncate(at % len),
            Mangle::Remove(at, n) => {
                let at = at % len;
                let end = (at + n % 16).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Mangle::Insert(at, s) => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, s.bytes());
            }
            Mangle::Duplicate(at, n) => {
                let at = at % len;
                let end = (at + n % 64).min(bytes.len());
                let copy = bytes.get(at..end).unwrap_or_default().to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
    // Invalid UTF-8 is tested elsewhere; keep the text readable so the parser is reached.
    String::from_utf8_lossy(&bytes).into_owned()
}

fn edits() -> impl Strategy<Value = Vec<Mangle>> {
    let edit = prop_oneof![
        1 => any::<usize>().prop_map(Mangle::Cut),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Mangle::Remove(a, n)),
        4 => (any::<usize>(), prop_oneof![soup(), text()]).prop_map(|(a, s)| Mangle::Insert(a, s)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Mangle::Duplicate(a, n)),
    ];
    prop::collection::vec(edit, 1..4)
}

#[derive(Clone, Debug)]
enum Input {
    Mangled(Model, Vec<Mangle>, Vec<Mangle>),
    Soup {
        flake: String,
        clan: String,
        json: String,
    },
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        3 => (model(), edits(), edits()).prop_map(|(m, a, b)| Input::Mangled(m, a, b)),
        1 => (soup(), soup(), soup()).prop_map(|(body, clan, json)| Input::Soup {
            flake: format!("{{ outputs = _: {{ inventory = {body}; }}; }}"),
            clan,
            json: format!("{{\"machines\": {json}}}"),
        }),
    ]
}

/// A flake whose output was generated, then broken as `input` says.
fn mangled_flake(dir: &Path, input: &Input) {
    write_files(
        dir,
        &[(
            "flake.nix",
            "{ outputs = _: { inventory.machines.jon.tags = [ \"web\" ]; }; }\n",
        )],
    );
    let run = run_in_process(&["generate", "--flake", dir.to_str().expect("utf-8")]).expect("base");
    assert_eq!(run.code, 0, "{}", run.rendered);
    match input {
        Input::Mangled(model, nix_edits, json_edits) => {
            for (path, text) in flake_files(model) {
                let edits = if path.ends_with(".json") {
                    json_edits
                } else {
                    nix_edits
                };
                let text = if path == "services/svc.nix" {
                    text
                } else {
                    mangle(&text, edits)
                };
                write_files(dir, &[(&path, &text)]);
            }
        }
        Input::Soup { flake, clan, json } => {
            write_files(
                dir,
                &[
                    ("flake.nix", flake),
                    ("clan.nix", clan),
                    ("inventory.json", json),
                ],
            );
        }
    }
}

proptest! {
    #![proptest_config(config(160, 0x5eed_0002))]

    #[test]
    fn the_pipeline_never_panics_on_mangled_inputs(input in input()) {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = temp.path();
        mangled_flake(dir, &input);
        let dir_str = dir.to_str().expect("utf-8");
        let before = snapshot(&dir.join("generated"));
        let commands: [&[&str]; 7] = [
            &["eval"],
            &["check"],
            &["show"],
            &["show", "jon"],
            &["graph", "--format", "json"],
            &["migrate", "--dry-run"],
            &["generate"],
        ];
        for args in commands {
            let command = args.join(" ");
            let mut argv = args.to_vec();
            argv.extend(["--flake", dir_str]);
            let run = run_in_process(&argv)
                .map_err(|p| TestCaseError::fail(format!("{command} panicked: {p}")))?;
            // `check` exits 1 without a diagnostic when the output is merely stale.
            if run.code != 0 && !(command == "check" && run.code == 1) {
                prop_assert!(!run.diagnostics.is_empty(), "{command} failed without a diagnostic");
            }
            if run.code != 0 {
                prop_assert_eq!(
                    differences(&before, &snapshot(&dir.join("generated"))),
                    Vec::<String>::new(),
                    "a failing {} changed the output", command
                );
            }
        }
    }
}
