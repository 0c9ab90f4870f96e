//! The `lower` stage: turns the merged data tree into the typed inventory model, checking
//! types (a role's `machines` is an attribute set, `settings` an attribute set, `machineClass`
//! `nixos` or `darwin`, …) and names (machine and instance names become file names). The legacy
//! `services.<module>.<instance>` API is lowered too, with its own types (lists of machines and
//! tags, `config` at three levels, `extraModules` that may be strings).
//!
//! Every value keeps its span. Settings stay data, wrappers included: they are merged by the
//! module system in Nix, never here.

use crate::diagnostics::{Diagnostic, Kind, Span};
use crate::read::data::{Data, DataKind, Entry};
use std::collections::BTreeMap;
use std::fmt::Display;

/// A string with the place it was written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    Nixos,
    Darwin,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Nixos => "nixos",
            Class::Darwin => "darwin",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Meta {
    pub name: Option<String>,
    pub description: Option<String>,
    pub icon: Option<String>,
    pub domain: Option<String>,
    pub tld: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Deploy {
    pub target_host: Option<String>,
    pub build_host: Option<String>,
    pub forward_agent: Option<bool>,
}

#[derive(Clone, Debug)]
pub struct Machine {
    pub name: String,
    /// Where the machine is first defined.
    pub span: Span,
    pub class: Class,
    /// The machine's own `tags`.
    pub tags: Vec<Spanned<String>>,
    pub description: Option<String>,
    pub deploy: Deploy,
}

#[derive(Clone, Debug)]
pub struct Member {
    pub span: Span,
    pub settings: Option<Data>,
}

#[derive(Clone, Debug)]
pub struct RoleTag {
    pub span: Span,
    pub settings: Option<Data>,
}

#[derive(Clone, Debug)]
pub struct Role {
    pub name: String,
    pub span: Span,
    pub machines: BTreeMap<String, Member>,
    pub tags: BTreeMap<String, RoleTag>,
    pub settings: Option<Data>,
    pub extra_modules: Vec<Data>,
}

#[derive(Clone, Debug)]
pub struct Instance {
    pub name: String,
    pub span: Span,
    pub module_name: Spanned<String>,
    pub module_input: Option<Spanned<String>>,
    pub roles: BTreeMap<String, Role>,
}

/// `services.<module>.<instance>.roles.<role>` of the legacy API.
#[derive(Clone, Debug)]
pub struct LegacyRole {
    pub name: String,
    pub span: Span,
    /// `roles.<role>.machines`, a list, in the order written.
    pub machines: Vec<Spanned<String>>,
    /// `roles.<role>.tags`, a list, duplicates removed (clan-core applied `unique`).
    pub tags: Vec<Spanned<String>>,
    pub config: Option<Data>,
    pub extra_modules: Vec<Data>,
}

/// `services.<module>.<instance>.machines.<machine>` of the legacy API.
#[derive(Clone, Debug)]
pub struct LegacyMachine {
    pub span: Span,
    pub config: Option<Data>,
    pub extra_modules: Vec<Data>,
}

/// `services.<module>.<instance>`: an instance of the legacy API, superseded by `instances`.
#[derive(Clone, Debug)]
pub struct LegacyInstance {
    pub module: String,
    pub name: String,
    /// The instance's key.
    pub span: Span,
    /// `enabled` (default `true`) and where it was written.
    pub enabled: Spanned<bool>,
    /// `meta`, if written (informational in clan-core).
    pub meta: Option<Data>,
    pub config: Option<Data>,
    pub extra_modules: Vec<Data>,
    pub roles: BTreeMap<String, LegacyRole>,
    pub machines: BTreeMap<String, LegacyMachine>,
}

#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub meta: Meta,
    pub machines: BTreeMap<String, Machine>,
    /// `inventory.tags.<t> = [ machines ]`, with the span of the definition.
    pub tags: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    pub instances: BTreeMap<String, Instance>,
    /// `inventory.modules.<name>`: paths of service modules (legacy `services` too).
    pub modules: BTreeMap<String, Spanned<Data>>,
    /// `services.<module>.<instance>`, keyed by (module, instance).
    pub services: BTreeMap<(String, String), LegacyInstance>,
}

/// The longest machine or instance name: `<name>.nix` must fit in a file name on every common
/// file system (255 bytes, 143 under eCryptfs).
pub const MAX_NAME_LEN: usize = 128;

/// Why `name` cannot be a file name in the output, or `None` when it can: it must be
/// `[A-Za-z0-9_-]+`, not start with `.` (no hidden files, no `.` or `..`), and be at most
/// [`MAX_NAME_LEN`] characters.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".into());
    }
    if name.contains(['/', '\\']) {
        return Some("it contains a path separator".into());
    }
    if name.starts_with('.') {
        return Some("it starts with `.` (a hidden file, or `.`/`..`)".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Some(if c.is_whitespace() {
            "it contains white space".into()
        } else {
            format!("it contains {c:?}")
        });
    }
    if name.len() > MAX_NAME_LEN {
        return Some(format!(
            "it is {} characters long, more than {MAX_NAME_LEN}",
            name.len()
        ));
    }
    None
}

/// Is `name` usable as a file name in the output? See [`name_problem`].
pub fn valid_file_name(name: &str) -> bool {
    name_problem(name).is_none()
}

struct Lower {
    diagnostics: Vec<Diagnostic>,
}

/// `machines.<machine>.<field>` as a diagnostic names it, formatted only when one is written.
#[derive(Clone, Copy)]
struct MachineField<'a> {
    machine: &'a str,
    field: &'a str,
}

impl Display for MachineField<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let machine = crate::emit::nix::attr_name(self.machine);
        write!(f, "`machines.{machine}.{}`", self.field)
    }
}

/// Strips priority wrappers where the merge already decided (everything but settings).
fn plain(d: &Data) -> &Data {
    match &d.kind {
        DataKind::Override { content, .. } => plain(content),
        _ => d,
    }
}

impl Lower {
    fn wrong(&mut self, d: &Data, place: impl Display + Copy, expected: &str) {
        self.diagnostics.push(
            Diagnostic::at(
                Kind::WrongType,
                d.span,
                format!("{place} must be {expected}, found {}", d.type_name()),
            )
            .with_label("here"),
        );
    }

    fn attrs<'d>(
        &mut self,
        d: &'d Data,
        place: impl Display + Copy,
    ) -> Option<&'d BTreeMap<String, Entry>> {
        let d = plain(d);
        match &d.kind {
            DataKind::Attrs(a) => Some(a),
            _ => {
                self.wrong(d, place, "an attribute set");
                None
            }
        }
    }

    fn string(&mut self, d: &Data, place: impl Display + Copy) -> Option<String> {
        let d = plain(d);
        match &d.kind {
            DataKind::Str(s) => Some(s.clone()),
            _ => {
                self.wrong(d, place, "a string");
                None
            }
        }
    }

    fn opt_string(&mut self, d: Option<&Entry>, place: impl Display + Copy) -> Option<String> {
        let d = plain(&d?.value);
        match &d.kind {
            DataKind::Null => None,
            _ => self.string(d, place),
        }
    }

    fn strings(&mut self, d: &Data, place: impl Display + Copy) -> Vec<Spanned<String>> {
        let d = plain(d);
        let DataKind::List(items) = &d.kind else {
            self.wrong(d, place, "a list of strings");
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| {
                self.string(item, format_args!("each entry of {place}"))
                    .map(|value| Spanned {
                        value,
                        span: item.span,
                    })
            })
            .collect()
    }

    fn settings(&mut self, d: &Data, place: impl Display + Copy) -> Option<Data> {
        match &plain(d).kind {
            // Code carried from the flake may use `inputs`, `self` and `lib`: every file that
            // holds settings (instance, members and stub) binds them.
            DataKind::Attrs(_) => Some(d.clone()),
            _ => {
                self.diagnostics.push(
                    Diagnostic::at(
                        Kind::WrongType,
                        d.span,
                        format!("{place} must be an attribute set, found {}", d.type_name()),
                    )
                    .with_hint("settings are data: `settings = { port = 80; };`"),
                );
                None
            }
        }
    }

    fn name(&mut self, what: &str, name: &str, span: Span) -> bool {
        let Some(problem) = name_problem(name) else {
            return true;
        };
        let shown: String = if name.chars().count() > 40 {
            name.chars().take(40).chain("…".chars()).collect()
        } else {
            name.to_string()
        };
        self.diagnostics.push(
            Diagnostic::at(
                Kind::BadName,
                span,
                format!("{what} name `{}` cannot be used: {problem}", shown.escape_debug()),
            )
            .with_label("this name")
            .with_hint(format!(
                "{what} names become file names: use letters, digits, `-` and `_`, at most {MAX_NAME_LEN} of them"
            )),
        );
        false
    }

    /// Names that differ only in case collide on case-insensitive file systems.
    fn case_collisions<'a>(
        &mut self,
        what: &str,
        names: impl IntoIterator<Item = (&'a String, Span)>,
    ) {
        let mut seen: std::collections::HashMap<std::borrow::Cow<str>, (&String, Span)> =
            std::collections::HashMap::new();
        for (name, span) in names {
            // Most names are lower case already: no copy for them.
            let folded: std::borrow::Cow<str> = if name
                .bytes()
                .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
            {
                name.as_str().into()
            } else {
                name.to_lowercase().into()
            };
            if let Some((first, first_span)) = seen.get(&folded) {
                self.diagnostics.push(
                    Diagnostic::at(
                        Kind::BadName,
                        span,
                        format!("{what} `{name}` differs from `{first}` only in case"),
                    )
                    .with_note(*first_span, "the other one")
                    .with_hint("their generated files would collide on case-insensitive file systems (macOS); rename one"),
                );
            } else {
                seen.insert(folded, (name, span));
            }
        }
    }

    fn meta(&mut self, d: &Data) -> Meta {
        let Some(a) = self.attrs(d, "`meta`") else {
            return Meta::default();
        };
        Meta {
            name: self.opt_string(a.get("name"), "`meta.name`"),
            description: self.opt_string(a.get("description"), "`meta.description`"),
            icon: self.opt_string(a.get("icon"), "`meta.icon`"),
            domain: self.opt_string(a.get("domain"), "`meta.domain`"),
            tld: self.opt_string(a.get("tld"), "`meta.tld`"),
        }
    }

    fn machine(&mut self, name: &str, entry: &Entry) -> Machine {
        // Written out only for a diagnostic: most machines never need it.
        let place = |field| MachineField {
            machine: name,
            field,
        };
        let mut machine = Machine {
            name: name.to_string(),
            span: entry.key_span,
            class: Class::Nixos,
            tags: Vec::new(),
            description: None,
            deploy: Deploy {
                target_host: None,
                build_host: None,
                forward_agent: None,
            },
        };
        let Some(a) = self.attrs(&entry.value, place("")) else {
            return machine;
        };
        if let Some(c) = a.get("machineClass") {
            match plain(&c.value).as_str() {
                Some("nixos") => machine.class = Class::Nixos,
                Some("darwin") => machine.class = Class::Darwin,
                _ => self.diagnostics.push(
                    Diagnostic::at(
                        Kind::WrongType,
                        c.value.span,
                        format!("{} must be \"nixos\" or \"darwin\"", place("machineClass")),
                    )
                    .with_label("here"),
                ),
            }
        }
        if let Some(t) = a.get("tags") {
            machine.tags = self.strings(&t.value, place("tags"));
        }
        machine.description = self.opt_string(a.get("description"), place("description"));
        self.opt_string(a.get("name"), place("name"));
        self.opt_string(a.get("icon"), place("icon"));
        if let Some(i) = a.get("installedAt")
            && !matches!(plain(&i.value).kind, DataKind::Int(_) | DataKind::Null)
        {
            self.wrong(&i.value, place("installedAt"), "an integer (unix seconds)");
        }
        if let Some(deploy) = a.get("deploy")
            && let Some(d) = self.attrs(&deploy.value, place("deploy"))
        {
            machine.deploy.target_host =
                self.opt_string(d.get("targetHost"), place("deploy.targetHost"));
            machine.deploy.build_host =
                self.opt_string(d.get("buildHost"), place("deploy.buildHost"));
            if let Some(f) = d.get("forwardAgent") {
                match plain(&f.value).kind {
                    DataKind::Bool(b) => machine.deploy.forward_agent = Some(b),
                    DataKind::Null => {}
                    _ => self.wrong(&f.value, place("deploy.forwardAgent"), "a boolean"),
                }
            }
        }
        machine
    }

    fn role(&mut self, instance: &str, name: &str, entry: &Entry) -> Role {
        let prefix = format!(
            "`instances.{}.roles.{}",
            crate::emit::nix::attr_name(instance),
            crate::emit::nix::attr_name(name)
        );
        let mut role = Role {
            name: name.to_string(),
            span: entry.key_span,
            machines: BTreeMap::new(),
            tags: BTreeMap::new(),
            settings: None,
            extra_modules: Vec::new(),
        };
        let Some(a) = self.attrs(&entry.value, &format!("{prefix}`")) else {
            return role;
        };
        if let Some(m) = a.get("machines") {
            let machines = plain(&m.value);
            match &machines.kind {
                DataKind::Attrs(members) => {
                    for (machine, member) in members {
                        let settings = self.member_settings(
                            &member.value,
                            &format!("{prefix}.machines.{machine}"),
                        );
                        role.machines.insert(
                            machine.clone(),
                            Member {
                                span: member.key_span,
                                settings,
                            },
                        );
                    }
                }
                _ => self.diagnostics.push(
                    Diagnostic::at(
                        Kind::WrongType,
                        machines.span,
                        format!(
                            "{prefix}.machines` must be an attribute set, found {}",
                            machines.type_name()
                        ),
                    )
                    .with_label("here")
                    .with_hint(
                        "name machines as attributes: `machines = { jon = { }; sara = { }; };`",
                    ),
                ),
            }
        }
        if let Some(t) = a.get("tags") {
            let tags = plain(&t.value);
            match &tags.kind {
                DataKind::List(_) => {
                    for tag in self.strings(tags, &format!("{prefix}.tags`")) {
                        role.tags.entry(tag.value).or_insert(RoleTag {
                            span: tag.span,
                            settings: None,
                        });
                    }
                }
                DataKind::Attrs(entries) => {
                    for (tag, e) in entries {
                        let settings =
                            self.member_settings(&e.value, &format!("{prefix}.tags.{tag}"));
                        role.tags.insert(
                            tag.clone(),
                            RoleTag {
                                span: e.key_span,
                                settings,
                            },
                        );
                    }
                }
                _ => self.wrong(
                    tags,
                    &format!("{prefix}.tags`"),
                    "a list or an attribute set",
                ),
            }
        }
        if let Some(s) = a.get("settings") {
            role.settings = self.settings(&s.value, &format!("{prefix}.settings`"));
        }
        if let Some(x) = a.get("extraModules") {
            let list = plain(&x.value);
            match &list.kind {
                DataKind::List(items) => {
                    for item in items {
                        match &item.kind {
                            DataKind::Path(_) | DataKind::Verbatim(_) => role.extra_modules.push(item.clone()),
                            _ => self.diagnostics.push(
                                Diagnostic::at(
                                    Kind::WrongType,
                                    item.span,
                                    format!("each entry of {prefix}.extraModules` must be a path or a module, found {}", item.type_name()),
                                )
                                .with_hint("write a path such as `./modules/extra.nix` (strings are not supported by clan either)"),
                            ),
                        }
                    }
                }
                _ => self.wrong(list, &format!("{prefix}.extraModules`"), "a list"),
            }
        }
        role
    }

    /// `{ settings = …; }` of a member or tag.
    fn member_settings(&mut self, d: &Data, place: impl Display + Copy) -> Option<Data> {
        let a = self.attrs(d, &format!("{place}`"))?;
        let s = a.get("settings")?;
        self.settings(&s.value, &format!("{place}.settings`"))
    }

    /// `extraModules` of the legacy API: paths, modules written inline (closed expressions or
    /// data), or strings naming a file relative to the flake (`directory`).
    fn legacy_extra_modules(&mut self, d: &Data, place: impl Display + Copy) -> Vec<Data> {
        let list = plain(d);
        let DataKind::List(items) = &list.kind else {
            self.wrong(list, place, "a list");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match &item.kind {
                // Legacy files bind `lib` only: code carried from the flake that needs its
                // inputs cannot go there.
                DataKind::Verbatim(text) if crate::read::eval::uses_name(text, "inputs") => {
                    self.diagnostics.push(
                        Diagnostic::at(
                            Kind::NotStatic,
                            item.span,
                            format!(
                                "this entry of {place} needs the flake's inputs, which the legacy `services` files do not have"
                            ),
                        )
                        .with_hint("move the instance to `instances` (`inventory-gen migrate`), where modules of inputs can be used"),
                    )
                }
                DataKind::Path(_) | DataKind::Verbatim(_) | DataKind::Attrs(_) => {
                    out.push(item.clone())
                }
                DataKind::Str(s) if !s.starts_with('/') && !s.is_empty() => out.push(item.clone()),
                _ => self.diagnostics.push(
                    Diagnostic::at(
                        Kind::WrongType,
                        item.span,
                        format!(
                            "each entry of {place} must be a path, a module or a file name relative to the flake, found {}",
                            item.type_name()
                        ),
                    )
                    .with_hint("write a path such as `./modules/extra.nix`"),
                ),
            }
        }
        out
    }

    /// `config` of the legacy API: an attribute set (`attrsOf anything`). A wrapper around the
    /// whole layer was resolved by the merge (as clan-core's option merge did); wrappers inside
    /// it are kept for the `clan.<module>` option's merge. An empty layer is `None`.
    fn legacy_config(&mut self, d: &Data, place: impl Display + Copy) -> Option<Data> {
        let d = plain(d);
        match &d.kind {
            DataKind::Attrs(a) if a.is_empty() => None,
            DataKind::Attrs(_) => Some(d.clone()),
            _ => {
                self.diagnostics.push(
                    Diagnostic::at(
                        Kind::WrongType,
                        d.span,
                        format!("{place} must be an attribute set, found {}", d.type_name()),
                    )
                    .with_hint("`config` is the value of the module's `clan.<module>` option: `config = { port = 80; };`"),
                );
                None
            }
        }
    }

    fn legacy_instance(&mut self, module: &str, name: &str, entry: &Entry) -> LegacyInstance {
        let prefix = format!(
            "`services.{}.{}",
            crate::emit::nix::attr_name(module),
            crate::emit::nix::attr_name(name)
        );
        let mut instance = LegacyInstance {
            module: module.to_string(),
            name: name.to_string(),
            span: entry.key_span,
            enabled: Spanned {
                value: true,
                span: entry.key_span,
            },
            meta: None,
            config: None,
            extra_modules: Vec::new(),
            roles: BTreeMap::new(),
            machines: BTreeMap::new(),
        };
        let Some(a) = self.attrs(&entry.value, &format!("{prefix}`")) else {
            return instance;
        };
        if let Some(e) = a.get("enabled") {
            match plain(&e.value).kind {
                DataKind::Bool(b) => {
                    instance.enabled = Spanned {
                        value: b,
                        span: e.key_span,
                    }
                }
                _ => self.wrong(&e.value, &format!("{prefix}.enabled`"), "a boolean"),
            }
        }
        if let Some(m) = a.get("meta") {
            if let Some(meta) = self.attrs(&m.value, &format!("{prefix}.meta`")) {
                for key in meta.keys() {
                    if !["name", "description", "icon"].contains(&key.as_str()) {
                        self.diagnostics.push(
                            Diagnostic::at(
                                Kind::UnknownKey,
                                meta[key].key_span,
                                format!("{prefix}.meta` has no attribute `{key}`"),
                            )
                            .with_hint("known attributes: description, icon, name"),
                        );
                    }
                }
                self.opt_string(meta.get("name"), &format!("{prefix}.meta.name`"));
                self.opt_string(
                    meta.get("description"),
                    &format!("{prefix}.meta.description`"),
                );
                self.opt_string(meta.get("icon"), &format!("{prefix}.meta.icon`"));
            }
            instance.meta = Some(m.value.clone());
        }
        if let Some(c) = a.get("config") {
            instance.config = self.legacy_config(&c.value, &format!("{prefix}.config`"));
        }
        if let Some(x) = a.get("extraModules") {
            instance.extra_modules =
                self.legacy_extra_modules(&x.value, &format!("{prefix}.extraModules`"));
        }
        if let Some(r) = a.get("roles")
            && let Some(roles) = self.attrs(&r.value, &format!("{prefix}.roles`"))
        {
            for (role, e) in roles {
                let place = format!("{prefix}.roles.{}", crate::emit::nix::attr_name(role));
                let mut lowered = LegacyRole {
                    name: role.clone(),
                    span: e.key_span,
                    machines: Vec::new(),
                    tags: Vec::new(),
                    config: None,
                    extra_modules: Vec::new(),
                };
                if let Some(fields) = self.attrs(&e.value, &format!("{place}`")) {
                    if let Some(m) = fields.get("machines") {
                        let list = plain(&m.value);
                        if matches!(list.kind, DataKind::List(_)) {
                            lowered.machines = self.strings(list, &format!("{place}.machines`"));
                        } else {
                            self.diagnostics.push(
                                Diagnostic::at(
                                    Kind::WrongType,
                                    list.span,
                                    format!(
                                        "{place}.machines` must be a list, found {}",
                                        list.type_name()
                                    ),
                                )
                                .with_label("here")
                                .with_hint(
                                    "in the legacy `services` API machines are a list: `machines = [ \"jon\" ];`",
                                ),
                            );
                        }
                    }
                    if let Some(t) = fields.get("tags") {
                        for tag in self.strings(&t.value, &format!("{place}.tags`")) {
                            if !lowered.tags.iter().any(|x| x.value == tag.value) {
                                lowered.tags.push(tag);
                            }
                        }
                    }
                    if let Some(c) = fields.get("config") {
                        lowered.config = self.legacy_config(&c.value, &format!("{place}.config`"));
                    }
                    if let Some(x) = fields.get("extraModules") {
                        lowered.extra_modules =
                            self.legacy_extra_modules(&x.value, &format!("{place}.extraModules`"));
                    }
                }
                instance.roles.insert(role.clone(), lowered);
            }
        }
        if let Some(m) = a.get("machines")
            && let Some(machines) = self.attrs(&m.value, &format!("{prefix}.machines`"))
        {
            for (machine, e) in machines {
                let place = format!("{prefix}.machines.{}", crate::emit::nix::attr_name(machine));
                let mut lowered = LegacyMachine {
                    span: e.key_span,
                    config: None,
                    extra_modules: Vec::new(),
                };
                if let Some(fields) = self.attrs(&e.value, &format!("{place}`")) {
                    if let Some(c) = fields.get("config") {
                        lowered.config = self.legacy_config(&c.value, &format!("{place}.config`"));
                    }
                    if let Some(x) = fields.get("extraModules") {
                        lowered.extra_modules =
                            self.legacy_extra_modules(&x.value, &format!("{place}.extraModules`"));
                    }
                }
                instance.machines.insert(machine.clone(), lowered);
            }
        }
        instance
    }

    fn instance(&mut self, name: &str, entry: &Entry) -> Instance {
        let mut instance = Instance {
            name: name.to_string(),
            span: entry.key_span,
            module_name: Spanned {
                value: name.to_string(),
                span: entry.key_span,
            },
            module_input: None,
            roles: BTreeMap::new(),
        };
        let prefix = format!("`instances.{}", crate::emit::nix::attr_name(name));
        let Some(a) = self.attrs(&entry.value, &format!("{prefix}`")) else {
            return instance;
        };
        if let Some(m) = a.get("module")
            && let Some(module) = self.attrs(&m.value, &format!("{prefix}.module`"))
        {
            if let Some(n) = module.get("name")
                && let Some(value) = self.string(&n.value, &format!("{prefix}.module.name`"))
            {
                instance.module_name = Spanned {
                    value,
                    span: n.value.span,
                };
            }
            if let Some(i) = module.get("input")
                && let Some(value) = self.opt_string(Some(i), &format!("{prefix}.module.input`"))
            {
                instance.module_input = Some(Spanned {
                    value,
                    span: i.value.span,
                });
            }
        }
        if let Some(r) = a.get("roles")
            && let Some(roles) = self.attrs(&r.value, &format!("{prefix}.roles`"))
        {
            for (role, e) in roles {
                let lowered = self.role(name, role, e);
                instance.roles.insert(role.clone(), lowered);
            }
        }
        instance
    }
}

/// Lowers the merged inventory. Problems are returned, never thrown.
pub fn lower(data: &Data) -> (Inventory, Vec<Diagnostic>) {
    let mut l = Lower {
        diagnostics: Vec::new(),
    };
    let mut inventory = Inventory::default();
    let Some(top) = l.attrs(data, "the inventory") else {
        return (inventory, l.diagnostics);
    };
    if let Some(m) = top.get("meta") {
        inventory.meta = l.meta(&m.value);
    }
    if let Some(m) = top.get("machines")
        && let Some(machines) = l.attrs(&m.value, "`machines`")
    {
        for (name, entry) in machines {
            if l.name("machine", name, entry.key_span) {
                let machine = l.machine(name, entry);
                inventory.machines.insert(name.clone(), machine);
            }
        }
        let names: Vec<(&String, Span)> = inventory
            .machines
            .values()
            .map(|m| (&m.name, m.span))
            .collect();
        l.case_collisions("machine", names);
    }
    if let Some(t) = top.get("tags")
        && let Some(tags) = l.attrs(&t.value, "`tags`")
    {
        for (tag, entry) in tags {
            let members = l.strings(
                &entry.value,
                &format!("`tags.{}`", crate::emit::nix::attr_name(tag)),
            );
            inventory.tags.insert(
                tag.clone(),
                Spanned {
                    value: members,
                    span: entry.key_span,
                },
            );
        }
    }
    if let Some(i) = top.get("instances")
        && let Some(instances) = l.attrs(&i.value, "`instances`")
    {
        for (name, entry) in instances {
            if l.name("instance", name, entry.key_span) {
                let instance = l.instance(name, entry);
                inventory.instances.insert(name.clone(), instance);
            }
        }
        let names: Vec<(&String, Span)> = inventory
            .instances
            .values()
            .map(|i| (&i.name, i.span))
            .collect();
        l.case_collisions("instance", names);
    }
    if let Some(s) = top.get("services")
        && let Some(services) = l.attrs(&s.value, "`services`")
    {
        let mut seen: Vec<(&String, Span)> = Vec::new();
        for (module, m) in services {
            if !l.name("legacy service module", module, m.key_span) {
                continue;
            }
            seen.push((module, m.key_span));
            let place = format!("`services.{}`", crate::emit::nix::attr_name(module));
            let Some(instances) = l.attrs(&m.value, &place) else {
                continue;
            };
            let mut names: Vec<(&String, Span)> = Vec::new();
            for (name, entry) in instances {
                if l.name("instance", name, entry.key_span) {
                    let instance = l.legacy_instance(module, name, entry);
                    names.push((name, entry.key_span));
                    inventory
                        .services
                        .insert((module.clone(), name.clone()), instance);
                }
            }
            l.case_collisions("instance", names);
        }
        l.case_collisions("legacy service module", seen);
    }
    if let Some(m) = top.get("modules")
        && let Some(modules) = l.attrs(&m.value, "`modules`")
    {
        for (name, entry) in modules {
            inventory.modules.insert(
                name.clone(),
                Spanned {
                    value: entry.value.clone(),
                    span: entry.key_span,
                },
            );
        }
    }
    (inventory, l.diagnostics)
}

/// The first carried code in `d` that uses the flake's inputs.
pub(crate) fn needs_inputs(d: &Data) -> Option<&Data> {
    match &d.kind {
        DataKind::Verbatim(text) => crate::read::eval::uses_name(text, "inputs").then_some(d),
        DataKind::List(items) => items.iter().find_map(needs_inputs),
        DataKind::Attrs(entries) => entries.values().find_map(|e| needs_inputs(&e.value)),
        DataKind::Override { content, .. } => needs_inputs(content),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        for ok in [
            "jon",
            "backup_server",
            "a-b",
            "X1",
            &"x".repeat(MAX_NAME_LEN),
        ] {
            assert!(valid_file_name(ok), "{ok}");
        }
        let long = "x".repeat(MAX_NAME_LEN + 1);
        for bad in [
            "", ".", "..", ".hidden", "a/b", "a b", "ä", "a.b", "../x", "a\\b", "a\0", &long,
        ] {
            assert!(!valid_file_name(bad), "{bad}");
        }
    }
}
