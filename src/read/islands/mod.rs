//! Islands: the parts of an inventory the static reader cannot compute, evaluated by the user's
//! own Nix — and only those, only when membership needs them.
//!
//! The static evaluator gives an *opaque* value for what it cannot know (a function of another
//! flake, an input's contents, an output that needs nixpkgs). While reading, it records for each
//! opaque value the expression that made it and the scope it was made in ([`State::record`]).
//! When such a value is needed as data ([`Evaluator::island_data`], called where it would
//! otherwise be a `not-static` error), that expression is the island: it is written back as Nix
//! with its free names bound to the static values they have (`serialise`), `inputs`, `self` and
//! `lib` taken from the flake through `builtins.getFlake`, evaluated by `nix-instantiate` under a
//! time limit (`run`), and read back as data whose spans are the island's, so every later
//! diagnostic points at it. Results are cached by content (`cache`); Nix's own error is shown at
//! the island's span. With islands off (`--no-nix`, `INVENTORY_GEN_NO_NIX=1`, or no Nix on
//! `PATH`) nothing changes: the value is the static `not-static` error it always was.

mod cache;
mod free;
mod run;
mod serialise;

use crate::diagnostics::{Diagnostic, FileId, Kind, Span};
use crate::read::data::{Data, DataKind, Entry, OverrideStyle};
use crate::read::eval::{Env, Evaluator, Opaque, V, Val, data_to_val};
use rnix::ast;
use rowan::ast::AstNode as _;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Mutex;
use std::time::Duration;

pub use free::{FreeName, needs};
pub use serialise::FLAKE;

/// How islands are evaluated in this process.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Evaluate islands at all (`--no-nix` and `INVENTORY_GEN_NO_NIX=1` turn this off; without
    /// `nix-instantiate` on `PATH` nothing is evaluated either).
    pub enabled: bool,
    /// Report the command and the version of Nix used (`--verbose`).
    pub verbose: bool,
    /// Time limit per island (`INVENTORY_GEN_ISLAND_TIMEOUT`, in seconds; 120 by default).
    pub timeout: Duration,
    /// Where results are cached; `None` when there is no cache directory.
    pub cache_dir: Option<PathBuf>,
}

impl Settings {
    /// The settings the environment gives.
    pub fn from_env() -> Settings {
        let off =
            std::env::var_os("INVENTORY_GEN_NO_NIX").is_some_and(|v| !v.is_empty() && v != "0");
        let timeout = std::env::var("INVENTORY_GEN_ISLAND_TIMEOUT")
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64)
            .unwrap_or(Duration::from_secs(120));
        Settings {
            enabled: !off,
            verbose: false,
            timeout,
            cache_dir: cache::default_dir(),
        }
    }
}

static CONFIGURED: Mutex<Option<Settings>> = Mutex::new(None);

/// Sets this process's settings from the command line (`--no-nix`, `--verbose`) on top of the
/// environment's.
pub fn configure(no_nix: bool, verbose: bool) {
    let mut settings = Settings::from_env();
    settings.enabled &= !no_nix;
    settings.verbose = verbose;
    if let Ok(mut c) = CONFIGURED.lock() {
        *c = Some(settings);
    }
}

/// The settings in force: the command line's, else the environment's.
pub fn current() -> Settings {
    CONFIGURED
        .lock()
        .ok()
        .and_then(|c| c.clone())
        .unwrap_or_else(Settings::from_env)
}

/// One island evaluated (or read from the cache) during a run.
#[derive(Clone, Debug)]
pub struct Notice {
    /// `file:line:col` of the island.
    pub location: String,
    /// The island's text, on one line and shortened.
    pub text: String,
    /// How long Nix took; `None` when the result came from the cache.
    pub cost: Option<Duration>,
    /// With `--verbose`: the command and the Nix version, and the program evaluated.
    pub verbose: Option<String>,
}

impl Notice {
    /// The line printed for it.
    pub fn render(&self) -> String {
        let how = match self.cost {
            Some(d) => format!("evaluated with Nix in {} ms", d.as_millis()),
            None => "read from the cache (no Nix call)".into(),
        };
        let mut out = format!("note[island]: {}: `{}` {how}\n", self.location, self.text);
        if let Some(v) = &self.verbose {
            for line in v.lines() {
                out.push_str("  ");
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

struct Origin {
    /// Keeps the value alive, so its address is never reused while recorded.
    _value: Rc<Opaque>,
    expr: ast::Expr,
    env: Env,
    file: FileId,
}

/// Islands state of one evaluator.
#[derive(Default)]
pub struct State {
    /// `None`: islands are off for this evaluator (the default; `read_flake` turns them on).
    settings: Option<Settings>,
    origins: HashMap<(usize, Span), Origin>,
    results: HashMap<(usize, Span), Result<Data, Diagnostic>>,
    pub notices: Vec<Notice>,
}

impl State {
    /// Islands with these settings (`None` leaves them off).
    pub fn enable(&mut self, settings: Settings) {
        self.settings = settings.enabled.then_some(settings);
    }

    fn on(&self) -> bool {
        self.settings.is_some()
    }

    /// Called after each expression is evaluated: an opaque value made by this very expression
    /// remembers it and its scope, the island it would be.
    #[inline]
    pub fn record(
        &mut self,
        result: &Result<Val, Diagnostic>,
        expr: &ast::Expr,
        env: &Env,
        file: FileId,
        span: Span,
    ) {
        if !self.on() {
            return;
        }
        if let Ok(Val {
            v: V::Opaque(o),
            span: made,
        }) = result
            && *made == span
        {
            self.origins.insert(
                (Rc::as_ptr(o) as *const () as usize, span),
                Origin {
                    _value: o.clone(),
                    expr: expr.clone(),
                    env: env.clone(),
                    file,
                },
            );
        }
    }

    pub(crate) fn origin(&self, key: (usize, Span)) -> Option<(ast::Expr, Env, FileId)> {
        self.origins
            .get(&key)
            .map(|o| (o.expr.clone(), o.env.clone(), o.file))
    }
}

impl Evaluator {
    /// The data an opaque value stands for, evaluated as an island; `None` when islands are off
    /// (or Nix is not installed), so the caller reports the static error.
    pub fn island_data(&mut self, val: &Val) -> Option<Result<Data, Diagnostic>> {
        let settings = self.islands.settings.clone()?;
        let V::Opaque(o) = &val.v else {
            return None;
        };
        let key = (Rc::as_ptr(o) as *const () as usize, val.span);
        if let Some(done) = self.islands.results.get(&key) {
            return Some(done.clone());
        }
        if !run::on_path(run::NIX) {
            return None;
        }
        let result = self.evaluate_island(val, &settings)?;
        self.islands.results.insert(key, result.clone());
        Some(result)
    }

    /// `val`, or when it is opaque and islands are on, the value its island gives.
    pub fn island_value(&mut self, val: Val) -> Result<Val, Diagnostic> {
        if !matches!(val.v, V::Opaque(_)) {
            return Ok(val);
        }
        match self.island_data(&val) {
            Some(data) => Ok(data_to_val(data?)),
            None => Ok(val),
        }
    }

    /// `None` when the island needs the flake but the flake has no `flake.lock`: Nix would
    /// have to lock (and download) its inputs first, so the static error stands.
    fn evaluate_island(
        &mut self,
        val: &Val,
        settings: &Settings,
    ) -> Option<Result<Data, Diagnostic>> {
        let span = val.span;
        let (program, uses) = {
            let mut s = serialise::Serialiser::new(self);
            let body = s.val(val);
            (body, s.uses)
        };
        if uses.flake && !self.root.join("flake.lock").is_file() && self.declares_inputs() {
            return None;
        }
        Some(self.run_island(span, program, uses, settings))
    }

    /// Whether flake.nix declares inputs (then `builtins.getFlake` needs them locked).
    fn declares_inputs(&mut self) -> bool {
        let path = self.root.join("flake.nix");
        let Ok((_, ast::Expr::AttrSet(set))) = self.parse_file(&path, None) else {
            return true;
        };
        use rnix::ast::HasEntry as _;
        set.attrpath_values().any(|entry| {
            entry
                .attrpath()
                .and_then(|p| p.attrs().next())
                .is_some_and(|a| a.syntax().text() == "inputs")
        })
    }

    fn run_island(
        &mut self,
        span: Span,
        program: Result<String, String>,
        uses: serialise::Uses,
        settings: &Settings,
    ) -> Result<Data, Diagnostic> {
        let program = program.map_err(|why| {
            Diagnostic::at(
                Kind::NotStatic,
                span,
                format!("this value cannot be known without evaluating Nix, and cannot be evaluated as an island: {why}"),
            )
            .with_label("needed here")
            .with_hint("make it static data, or compute it in a flake output the island can read through `self`")
        })?;
        let program = if uses.flake {
            format!(
                "let {FLAKE} = builtins.getFlake {}; in\n{program}\n",
                serialise::string(&format!("path:{}", self.root.display()))
            )
        } else {
            format!("{program}\n")
        };
        let cache_dir = settings
            .cache_dir
            .clone()
            .filter(|_| cache::cacheable(&program));
        let key = cache::key(&program, &uses, &self.root);
        let location = self.sources.location(span);
        let text = short(&self.sources.text(span.file)[span.start as usize..span.end as usize]);
        if let Some(json) = cache_dir.as_ref().and_then(|dir| cache::load(dir, &key))
            && let Ok(value) = serde_json::from_str::<serde_json::Value>(&json)
        {
            self.islands.notices.push(Notice {
                location,
                text,
                cost: None,
                verbose: None,
            });
            return Ok(json_to_data(&value, span));
        }
        let verbose = settings.verbose.then(|| {
            format!(
                "command: {}\nnix: {}\nprogram:\n{}",
                run::command_line("<island>"),
                run::version(),
                program.trim_end()
            )
        });
        match run::evaluate(&program, settings.timeout) {
            Ok((json, cost)) => {
                let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| {
                    Diagnostic::at(Kind::EvalError, span, format!("Nix printed something that is not JSON for this island: {e}"))
                })?;
                if let Some(dir) = &cache_dir {
                    cache::store(dir, &key, json.trim());
                }
                self.islands.notices.push(Notice {
                    location,
                    text,
                    cost: Some(cost),
                    verbose,
                });
                Ok(json_to_data(&value, span))
            }
            Err(run::Failure::Nix(message)) => Err(Diagnostic::at(
                Kind::EvalError,
                span,
                format!("Nix failed to evaluate this island:\n{message}"),
            )
            .with_label("evaluated with Nix")
            .with_hint("the static reader could not compute this value, so it asked Nix; fix the error above, or run with --no-nix to see what the static reader needs")),
            Err(run::Failure::Timeout(limit)) => Err(Diagnostic::at(
                Kind::EvalError,
                span,
                format!("Nix did not finish evaluating this island within {:.1} s, and was stopped", limit.as_secs_f64()),
            )
            .with_label("evaluated with Nix")
            .with_hint("raise the limit with INVENTORY_GEN_ISLAND_TIMEOUT=<seconds>, or make the value static")),
            Err(run::Failure::Io(message)) => Err(Diagnostic::at(
                Kind::EvalError,
                span,
                format!("cannot evaluate this island with Nix: {message}"),
            )
            .with_hint("check that Nix is installed, or run with --no-nix")),
        }
    }
}

/// The island's text on one line, at most 60 characters.
fn short(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 60 {
        let cut: String = one.chars().take(57).collect();
        format!("{cut}…")
    } else {
        one
    }
}

/// Nix's JSON as data, every node at the island's span. A priority wrapper
/// (`{ _type = "override"; … }`) becomes one again.
pub fn json_to_data(value: &serde_json::Value, span: Span) -> Data {
    use serde_json::Value as J;
    let kind = match value {
        J::Null => DataKind::Null,
        J::Bool(b) => DataKind::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => DataKind::Int(i),
            None => DataKind::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => DataKind::Str(s.clone()),
        J::Array(items) => DataKind::List(items.iter().map(|i| json_to_data(i, span)).collect()),
        J::Object(map) => {
            let wrapper = map.len() == 3
                && map.get("_type").and_then(J::as_str) == Some("override")
                && map.contains_key("content");
            match map.get("priority").and_then(J::as_i64).filter(|_| wrapper) {
                Some(priority) => DataKind::Override {
                    priority,
                    style: match priority {
                        50 => OverrideStyle::Force,
                        1000 => OverrideStyle::Default,
                        _ => OverrideStyle::Override,
                    },
                    content: Box::new(json_to_data(&map["content"], span)),
                },
                None => DataKind::Attrs(
                    map.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                Entry {
                                    key_span: span,
                                    value: json_to_data(v, span),
                                },
                            )
                        })
                        .collect::<BTreeMap<_, _>>(),
                ),
            }
        }
    };
    Data { kind, span }
}

/// One differential case: its name, the static result and Nix's, as JSON or an error message.
pub type Case = (
    String,
    Result<serde_json::Value, String>,
    Result<serde_json::Value, String>,
);

/// For the differential tests: each attribute of the attribute set `source` (an expression
/// written as the file `expression.nix` in `root`) forced statically and, separately, evaluated
/// by Nix as an island (its free names bound as islands bind them), both as JSON.
pub fn differential_json(root: &std::path::Path, source: &str) -> Result<Vec<Case>, Diagnostic> {
    let mut settings = Settings::from_env();
    settings.enabled = true;
    settings.cache_dir = None;
    // Islands stay off here: the static side must be the static evaluator alone.
    let mut ev = Evaluator::new(root.to_path_buf());
    let path = root.join("expression.nix");
    ev.overlay.insert(path.clone(), source.to_string());
    let thunk = ev.import(&path, None)?;
    let top = ev.force(&thunk)?;
    let V::Attrs(map) = &top.v else {
        return Err(Diagnostic::new(
            Kind::WrongType,
            "expected an attribute set of cases",
        ));
    };
    let mut out = Vec::new();
    for (name, binding) in map.iter() {
        // Through Nix first, before the static evaluation memoises the value.
        let through_nix = {
            let mut s = serialise::Serialiser::new(&mut ev);
            let body = s.thunk(&binding.thunk);
            let uses = std::mem::take(&mut s.uses);
            match body {
                Err(why) => Err(format!("cannot serialise: {why}")),
                Ok(body) => {
                    let program = if uses.flake {
                        format!(
                            "let {FLAKE} = builtins.getFlake {}; in\n{body}\n",
                            serialise::string(&format!("path:{}", root.display()))
                        )
                    } else {
                        body
                    };
                    match run::evaluate(&program, settings.timeout) {
                        Ok((json, _)) => serde_json::from_str(&json).map_err(|e| e.to_string()),
                        Err(run::Failure::Nix(m)) => Err(m),
                        Err(run::Failure::Timeout(_)) => Err("timeout".into()),
                        Err(run::Failure::Io(m)) => Err(m),
                    }
                }
            }
        };
        let statically = ev
            .force_data(&binding.thunk, false)
            .map(|d| d.to_json())
            .map_err(|d| d.message);
        out.push((name.to_string(), statically, through_nix));
    }
    Ok(out)
}
