//! The command line: parses arguments, runs the pipeline, prints results and diagnostics, and
//! maps the outcome to the documented exit codes: 0 ok, 1 inventory errors or stale files,
//! 2 usage or I/O failure. Nothing here panics on bad input: every failure is a diagnostic.

use crate::diagnostics::{self, Diagnostic, Kind, SourceMap};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "inventory-gen",
    version,
    about = "Reads a clan inventory statically from a flake and writes one NixOS / nix-darwin module per machine.",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The flake directory.
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub flake: PathBuf,
    /// Output directory [default: <flake>/generated/inventory].
    #[arg(long, global = true, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Output format: human or json for diagnostics and results; `graph` also prints dot or mermaid
    /// (its human format is dot).
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Treat warnings as errors.
    #[arg(long, global = true)]
    pub deny_warnings: bool,
    /// Never run Nix: a value the static reader cannot compute is an error (the default runs the
    /// user's Nix on such values, "islands", when `nix-instantiate` is on PATH; the environment
    /// variable INVENTORY_GEN_NO_NIX=1 does the same as this flag).
    #[arg(long, global = true)]
    pub no_nix: bool,
    /// Say more: the Nix command, version and program of each island.
    #[arg(long, global = true)]
    pub verbose: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write the generated files (the default command).
    Generate,
    /// Exit 1 if any generated file would change, listing them; writes nothing.
    Check {
        /// Also print a unified diff of each change.
        #[arg(long)]
        diff: bool,
    },
    /// Print the statically read inventory as JSON (as `nix-instantiate --eval --strict --json` would).
    Eval,
    /// Show why a machine gets each service: class, tags and every membership with its reasons
    /// and settings layers; without MACHINE, list the machines.
    Show {
        /// The machine to show.
        machine: Option<String>,
        /// List only machines carrying this tag (repeatable: machines carrying all of them).
        #[arg(long = "tag", value_name = "TAG", conflicts_with = "machine")]
        tags: Vec<String>,
    },
    /// Print instances, roles and machines as a graph: `--format dot` (also the default),
    /// `json` or `mermaid`.
    Graph {
        /// Only this instance, its roles and their machines.
        #[arg(long, value_name = "INSTANCE")]
        instance: Option<String>,
        /// Only this machine and the roles it holds.
        #[arg(long, value_name = "MACHINE")]
        machine: Option<String>,
    },
    /// Print the JSON Schema (draft 2020-12) of the inventory, for editors validating inventory.json.
    Schema,
    /// Rewrite legacy `services.<module>.<instance>` as `instances.<instance>` in the Nix files.
    Migrate {
        /// Print what would change, as a diff; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
    Dot,
    Mermaid,
}

/// The result of running a command: what to print and how to exit.
pub struct Outcome {
    pub stdout: String,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
    /// Exit code forced by the command (stale files); otherwise derived from diagnostics.
    pub code: Option<u8>,
    /// What the run built (syntax trees, the inventory, the graph, the file texts): dropped with
    /// the outcome, or left to the process exit by [`run`] — freeing millions of small
    /// allocations one by one took a fifth of a no-op run at 5000 machines.
    leftovers: Vec<Box<dyn std::any::Any>>,
}

impl Outcome {
    fn new(sources: SourceMap) -> Outcome {
        Outcome {
            stdout: String::new(),
            diagnostics: Vec::new(),
            sources,
            code: None,
            leftovers: Vec::new(),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // Deeply nested inventories recurse; give the pipeline a generous stack.
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || run(&cli));
    match handle.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => {
            eprintln!(
                "error[internal]: inventory-gen stopped unexpectedly; please report this with the inventory that caused it"
            );
            ExitCode::from(2)
        }
    }
}

/// Runs the command and prints; returns the exit code.
pub fn run(cli: &Cli) -> u8 {
    let mut outcome = execute(cli);
    // The process exits next: it frees everything at once.
    std::mem::forget(std::mem::take(&mut outcome.leftovers));
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(outcome.stdout.as_bytes());
    let _ = stdout.flush();
    let mut diagnostics = outcome.diagnostics;
    diagnostics.sort_by_key(|d| (d.severity(), d.span));
    if !diagnostics.is_empty() || cli.format == OutputFormat::Json {
        let text = match cli.format {
            OutputFormat::Json => diagnostics::render_json(&outcome.sources, &diagnostics),
            _ => {
                let color =
                    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                let mut text = diagnostics::render_human(&outcome.sources, &diagnostics, color);
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                let warnings = diagnostics.len() - errors;
                if errors + warnings > 0 {
                    text.push_str(&summary(errors, warnings));
                }
                text
            }
        };
        if !(cli.format == OutputFormat::Json && diagnostics.is_empty()) {
            let _ = std::io::stderr().write_all(text.as_bytes());
        }
    }
    exit_code(&diagnostics, outcome.code, cli.deny_warnings)
}

fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    match (errors, warnings) {
        (0, w) => format!("{} emitted\n", plural(w, "warning")),
        (e, 0) => format!("{} found\n", plural(e, "error")),
        (e, w) => format!(
            "{} and {} found\n",
            plural(e, "error"),
            plural(w, "warning")
        ),
    }
}

fn exit_code(diagnostics: &[Diagnostic], forced: Option<u8>, deny_warnings: bool) -> u8 {
    if diagnostics
        .iter()
        .any(|d| matches!(d.kind, Kind::Io | Kind::Usage))
    {
        return 2;
    }
    let failing = diagnostics
        .iter()
        .any(|d| d.is_error() || (deny_warnings && !d.is_error()));
    if failing {
        return 1;
    }
    forced.unwrap_or(0)
}

fn usage_error(message: String) -> Outcome {
    let mut outcome = Outcome::new(SourceMap::default());
    outcome
        .diagnostics
        .push(Diagnostic::new(Kind::Usage, message));
    outcome
}

pub fn execute(cli: &Cli) -> Outcome {
    crate::read::islands::configure(cli.no_nix, cli.verbose);
    let command = cli.command.as_ref().unwrap_or(&Command::Generate);
    if matches!(cli.format, OutputFormat::Dot | OutputFormat::Mermaid)
        && !matches!(command, Command::Graph { .. })
    {
        return usage_error(format!(
            "`--format {}` is only for `graph`",
            if cli.format == OutputFormat::Dot {
                "dot"
            } else {
                "mermaid"
            }
        ));
    }
    match command {
        Command::Eval => eval(cli),
        Command::Generate => generate(cli, None),
        Command::Check { diff } => generate(cli, Some(*diff)),
        Command::Show { machine, tags } => inspect(cli, |ctx, json| match machine {
            Some(m) => crate::inspect::show::machine(ctx, m, json),
            None => crate::inspect::show::machines(ctx, tags, json),
        }),
        Command::Graph { instance, machine } => {
            let filter = crate::inspect::graph::Filter {
                instance: instance.clone(),
                machine: machine.clone(),
            };
            inspect(cli, |ctx, _| match cli.format {
                OutputFormat::Json => crate::inspect::graph::json_text(ctx, &filter),
                OutputFormat::Mermaid => crate::inspect::graph::mermaid(ctx, &filter),
                OutputFormat::Human | OutputFormat::Dot => crate::inspect::graph::dot(ctx, &filter),
            })
        }
        Command::Schema => {
            let mut outcome = Outcome::new(SourceMap::default());
            outcome.stdout = crate::schema::render();
            outcome
        }
        Command::Migrate { dry_run } => migrate(cli, *dry_run),
    }
}

/// Runs read → lower → resolve, then `render` on the graph (`show`, `graph`); a rendering
/// failure (an unknown name on the command line) is a diagnostic.
fn inspect(
    cli: &Cli,
    render: impl FnOnce(&crate::inspect::Context, bool) -> Result<String, Diagnostic>,
) -> Outcome {
    let mut outcome = Outcome::new(SourceMap::default());
    let Some((flake, graph)) = resolve_flake(cli, &mut outcome) else {
        return outcome;
    };
    let ctx = crate::inspect::Context {
        graph: &graph,
        sources: &outcome.sources,
        root: &flake.root,
    };
    match render(&ctx, cli.format == OutputFormat::Json) {
        Ok(text) => outcome.stdout = text,
        Err(d) => outcome.diagnostics.push(d),
    }
    outcome
}

/// The output directory as an absolute path whose existing part is canonical.
fn out_dir(cli: &Cli, flake_root: &Path) -> PathBuf {
    let Some(out) = &cli.out else {
        return flake_root.join("generated").join("inventory");
    };
    let absolute = std::env::current_dir()
        .map(|cwd| cwd.join(out))
        .unwrap_or_else(|_| out.clone());
    let absolute = crate::read::eval::normalize(&absolute);
    let mut existing = absolute.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (
            existing.file_name().map(|n| n.to_os_string()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut result = existing.canonicalize().unwrap_or(existing);
    for name in rest.into_iter().rev() {
        result.push(name);
    }
    result
}

/// Runs read → lower → resolve; `None` when an error (or a denied warning) stops the run.
fn resolve_flake(
    cli: &Cli,
    outcome: &mut Outcome,
) -> Option<(crate::read::Flake, crate::resolve::Graph)> {
    resolve_flake_then(cli, outcome, &mut |_| {})
}

/// [`resolve_flake`], calling `lowered` with the inventory as soon as it is typed.
fn resolve_flake_then(
    cli: &Cli,
    outcome: &mut Outcome,
    lowered: &mut dyn FnMut(&crate::lower::Inventory),
) -> Option<(crate::read::Flake, crate::resolve::Graph)> {
    let (mut flake, diagnostics) = crate::read::read_flake(&cli.flake);
    print_island_notices(cli, &flake);
    crate::timing::mark("read");
    outcome.diagnostics = diagnostics;
    let stop = |o: &Outcome| {
        o.diagnostics
            .iter()
            .any(|d| d.is_error() || (cli.deny_warnings && !d.is_error()))
    };
    if stop(outcome) {
        outcome.sources = std::mem::take(&mut flake.sources);
        return None;
    }
    let graph = match &flake.inventory {
        Some(data) => {
            let (inventory, lower_diagnostics) = crate::lower::lower(data);
            crate::timing::mark("lower");
            if !lower_diagnostics.iter().any(Diagnostic::is_error) {
                lowered(&inventory);
            }
            outcome.diagnostics.extend(lower_diagnostics);
            let (mut graph, resolve_diagnostics) =
                crate::resolve::resolve(&inventory, &flake.modules, &flake.inputs);
            crate::timing::mark("resolve");
            outcome.diagnostics.extend(resolve_diagnostics);
            outcome.diagnostics.extend(crate::resolve::resolve_legacy(
                &mut graph,
                &inventory,
                &flake.legacy_modules,
            ));
            outcome.leftovers.push(Box::new(inventory));
            graph
        }
        None => crate::resolve::Graph::default(),
    };
    outcome.sources = std::mem::take(&mut flake.sources);
    if stop(outcome) {
        return None;
    }
    Some((flake, graph))
}

/// The output directory as read by a second thread, and where.
type Prefetch<'scope> = (
    PathBuf,
    std::thread::ScopedJoinHandle<'scope, Result<crate::write::Existing, Diagnostic>>,
);

fn generate(cli: &Cli, check: Option<bool>) -> Outcome {
    crate::timing::start();
    // The output directory does not depend on the inventory: a second thread lists and reads it
    // while this one reads and resolves the flake, and the emitted files are compared with what
    // it found. (For writing, `plan_locked` reads the directory again under the lock.)
    let early_out = cli
        .flake
        .canonicalize()
        .ok()
        .map(|root| {
            let out = out_dir(cli, &root);
            (root, out)
        })
        .filter(|(root, out)| crate::write::check_out_dir(root, out).is_ok())
        .map(|(_, out)| out);
    // A first generation (no output directory yet) is mostly creating files, which needs only
    // their names: a third thread creates the stubs empty once the machines are known, while
    // this one resolves and emits.
    let first_generation = check.is_none()
        && early_out.as_ref().is_some_and(|out| {
            std::fs::symlink_metadata(out).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        });
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let precreate = early_out
            .clone()
            .filter(|_| first_generation)
            .map(|out| Precreate::spawn(scope, out, &stop));
        let prefetch = early_out.map(|out| {
            let handle = scope.spawn({
                let out = out.clone();
                move || crate::write::read_existing(&out, false)
            });
            (out, handle)
        });
        generate_with(cli, check, prefetch, precreate)
    })
}

/// The thread that creates a first generation's stubs empty in a staging directory
/// ([`crate::write::Staging::precreate`]) while the flake is resolved and emitted. Dropped
/// unfinished (the run stopped), it stops, and the staging directory is removed.
struct Precreate<'scope> {
    names: Option<std::sync::mpsc::Sender<Vec<PathBuf>>>,
    stop: &'scope std::sync::atomic::AtomicBool,
    handle: Option<std::thread::ScopedJoinHandle<'scope, Option<crate::write::Staging>>>,
}

impl<'scope> Precreate<'scope> {
    fn spawn<'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        out: PathBuf,
        stop: &'scope std::sync::atomic::AtomicBool,
    ) -> Precreate<'scope> {
        let (names, receive) = std::sync::mpsc::channel::<Vec<PathBuf>>();
        let handle = scope.spawn(move || {
            // Nothing is created before the inventory is known to be valid, and no directory
            // above the output directory: a run that fails leaves no trace.
            let paths = receive.recv().ok()?;
            let mut staging = crate::write::Staging::begin(&out, false).ok()?;
            staging.precreate(&paths, stop);
            Some(staging)
        });
        Precreate {
            names: Some(names),
            stop,
            handle: Some(handle),
        }
    }

    /// Hands over the machines of a valid inventory: their stubs are the files to create.
    fn machines_known(&mut self, inventory: &crate::lower::Inventory) {
        if let Some(names) = self.names.take() {
            // Only names that are file names (the run stops on the others).
            let paths = inventory
                .machines
                .keys()
                .filter(|name| crate::lower::name_problem(name).is_none())
                .map(|name| PathBuf::from(format!("machines/{name}.nix")))
                .collect();
            let _ = names.send(paths);
        }
    }

    /// Stops the thread and takes its staging directory.
    fn finish(mut self) -> Option<crate::write::Staging> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.names = None;
        match self.handle.take()?.join() {
            Ok(staging) => staging,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for Precreate<'_> {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // Unblocks a thread still waiting for the machines; the scope joins it.
        self.names = None;
    }
}

fn generate_with(
    cli: &Cli,
    check: Option<bool>,
    prefetch: Option<Prefetch>,
    mut precreate: Option<Precreate>,
) -> Outcome {
    let mut outcome = Outcome::new(SourceMap::default());
    let lowered = &mut |inventory: &crate::lower::Inventory| {
        if let Some(p) = precreate.as_mut() {
            p.machines_known(inventory);
        }
    };
    let Some((flake, graph)) = resolve_flake_then(cli, &mut outcome, lowered) else {
        return outcome;
    };
    let out = out_dir(cli, &flake.root);
    if let Err(d) = crate::write::check_out_dir(&flake.root, &out) {
        outcome.diagnostics.push(d);
        return outcome;
    }
    let mut sources = flake.files.clone();
    sources.sort();
    sources.dedup();
    let layout = crate::emit::Layout {
        flake_root: &flake.root,
        out_dir: &out,
    };
    let files = crate::emit::emit(&graph, &sources, &layout);
    crate::timing::mark("emit");
    let existing = match prefetch {
        Some((early, handle)) if early == out => match handle.join() {
            Ok(existing) => existing,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        _ => crate::write::read_existing(&out, true),
    };
    let plan = existing
        .map_err(|d| vec![d])
        .and_then(|existing| crate::write::plan_against(&out, &files, existing));
    crate::timing::mark("plan");
    let plan = match plan {
        Ok(plan) if check.is_none() => {
            let staging = precreate.and_then(Precreate::finish);
            let written = write_out(&out, &files, plan, staging);
            crate::timing::mark("write");
            written
        }
        result => result,
    };
    let plan = match plan {
        Ok(plan) => plan,
        Err(problems) => {
            outcome.diagnostics.extend(problems);
            return outcome;
        }
    };
    let shown = out
        .strip_prefix(&flake.root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| out.clone());
    let json = cli.format == OutputFormat::Json;
    let mut report = Vec::new();
    for (path, change) in &plan.changes {
        let verb = match (change, check.is_some()) {
            (crate::write::Change::Create, false) => "created",
            (crate::write::Change::Update { .. }, false) => "updated",
            (crate::write::Change::Remove { .. }, false) => "removed",
            (crate::write::Change::Create, true) => "would create",
            (crate::write::Change::Update { .. }, true) => "would update",
            (crate::write::Change::Remove { .. }, true) => "would remove",
        };
        report.push((verb, shown.join(path)));
    }
    match check {
        Some(diff) => {
            if json {
                outcome.stdout = json_report(&report, plan.unchanged, "check");
            } else {
                for (verb, path) in &report {
                    outcome
                        .stdout
                        .push_str(&format!("{verb} {}\n", path.display()));
                }
                if diff {
                    for (path, change) in &plan.changes {
                        let new = files.get(path).map(String::as_str);
                        outcome.stdout.push_str(&crate::write::diff(
                            &shown.join(path),
                            change,
                            new,
                        ));
                    }
                }
                if plan.changes.is_empty() {
                    outcome.stdout.push_str(&format!(
                        "{} is up to date ({} files)\n",
                        shown.display(),
                        plan.unchanged
                    ));
                } else {
                    outcome.stdout.push_str(&format!(
                        "{} is stale: {} of {} files would change; run `inventory-gen` to update\n",
                        shown.display(),
                        plan.changes.len(),
                        plan.changes.len() + plan.unchanged
                    ));
                }
            }
            if !plan.changes.is_empty() {
                outcome.code = Some(1);
            }
        }
        None => {
            if json {
                outcome.stdout = json_report(&report, plan.unchanged, "generate");
            } else {
                for (verb, path) in &report {
                    outcome
                        .stdout
                        .push_str(&format!("{verb} {}\n", path.display()));
                }
                outcome.stdout.push_str(&format!(
                    "{}: {} changed, {} unchanged\n",
                    shown.display(),
                    plan.changes.len(),
                    plan.unchanged
                ));
                if plan
                    .changes
                    .values()
                    .any(|c| *c == crate::write::Change::Create)
                {
                    outcome.stdout.push_str(&format!(
                        "hint: flakes only see files git knows: git add {}\n",
                        shown.display()
                    ));
                }
            }
        }
    }
    outcome
        .leftovers
        .push(Box::new((flake, graph, files, plan)));
    outcome
}

/// Brings `out` in line with `files` and returns the plan that was carried out. A first
/// generation is created whole beside the output directory and renamed into place; otherwise the
/// plan is made again under the output directory's lock (another run may have written meanwhile)
/// and applied.
fn write_out(
    out: &Path,
    files: &std::collections::BTreeMap<PathBuf, String>,
    plan: crate::write::Plan,
    staging: Option<crate::write::Staging>,
) -> Result<crate::write::Plan, Vec<Diagnostic>> {
    let first_generation = plan.unchanged == 0
        && plan
            .changes
            .values()
            .all(|c| *c == crate::write::Change::Create)
        && std::fs::symlink_metadata(out).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
    // Staged for this output directory (`--out` resolves the same way before and after reading).
    let staging = staging.filter(|s| s.out_dir() == out);
    if !first_generation {
        drop(staging);
    } else {
        let created = match staging {
            Some(staging) => staging.finish(files, &mut crate::write::Disk),
            None => crate::write::create_all(out, files, &mut crate::write::Disk),
        };
        match created {
            Ok(crate::write::Created::Done) => return Ok(plan),
            Ok(crate::write::Created::OutDirExists) => {}
            Err(d) => return Err(vec![d]),
        }
    }
    let (plan, _lock) = crate::lock::plan_locked(out, files, plan)?;
    if !plan.changes.is_empty() {
        #[cfg(unix)]
        crate::write::remove_abandoned_staging(out);
    }
    crate::write::apply(out, files, &plan, &mut crate::write::Disk).map_err(|d| vec![d])?;
    // The lock, when one was taken, is released here, after the writes.
    Ok(plan)
}

fn json_report(report: &[(&str, PathBuf)], unchanged: usize, command: &str) -> String {
    let changes: Vec<serde_json::Value> = report
        .iter()
        .map(|(verb, path)| serde_json::json!({ "change": verb.replace(' ', "-"), "path": path }))
        .collect();
    let doc = serde_json::json!({
        "version": 1,
        "command": command,
        "changes": changes,
        "unchanged": unchanged,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// One line on stderr per island evaluated with Nix or read from the cache (human format).
fn print_island_notices(cli: &Cli, flake: &crate::read::Flake) {
    if cli.format != OutputFormat::Json && !flake.islands.is_empty() {
        let text: String = flake.islands.iter().map(|n| n.render()).collect();
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
}

fn eval(cli: &Cli) -> Outcome {
    let (flake, diagnostics) = crate::read::read_flake(&cli.flake);
    print_island_notices(cli, &flake);
    let mut outcome = Outcome::new(flake.sources);
    let failed = diagnostics.iter().any(Diagnostic::is_error);
    outcome.diagnostics = diagnostics;
    if !failed {
        let json = flake
            .inventory
            .map(|d| d.to_json())
            .unwrap_or_else(|| serde_json::json!({}));
        let mut text = serde_json::to_string_pretty(&json).unwrap_or_default();
        text.push('\n');
        outcome.stdout = text;
    }
    outcome
}

/// Reads a flake (with `overlay` texts in place of files) through lower and resolve.
fn read_resolved(
    dir: &Path,
    overlay: std::collections::HashMap<PathBuf, String>,
) -> (
    crate::read::Flake,
    Option<(crate::lower::Inventory, crate::resolve::Graph)>,
    Vec<Diagnostic>,
) {
    let (flake, mut diagnostics) = crate::read::read_flake_with(dir, overlay);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return (flake, None, diagnostics);
    }
    let Some(data) = &flake.inventory else {
        return (flake, None, diagnostics);
    };
    let (inventory, lower_diagnostics) = crate::lower::lower(data);
    diagnostics.extend(lower_diagnostics);
    let (mut graph, resolve_diagnostics) =
        crate::resolve::resolve(&inventory, &flake.modules, &flake.inputs);
    diagnostics.extend(resolve_diagnostics);
    diagnostics.extend(crate::resolve::resolve_legacy(
        &mut graph,
        &inventory,
        &flake.legacy_modules,
    ));
    (flake, Some((inventory, graph)), diagnostics)
}

fn migrate(cli: &Cli, dry_run: bool) -> Outcome {
    let (mut flake, resolved, diagnostics) =
        read_resolved(&cli.flake, std::collections::HashMap::new());
    let mut outcome = Outcome::new(SourceMap::default());
    // The warnings `migrate` is the answer to are not repeated.
    let inventory = resolved.as_ref().map(|(i, _)| i);
    outcome.diagnostics = diagnostics
        .into_iter()
        .filter(|d| !crate::migrate::answers(&flake, inventory, d))
        .collect();
    let stop = outcome
        .diagnostics
        .iter()
        .any(|d| d.is_error() || (cli.deny_warnings && !d.is_error()));
    let json = cli.format == OutputFormat::Json;
    let Some((inventory, graph)) = resolved.filter(|_| !stop) else {
        outcome.sources = std::mem::take(&mut flake.sources);
        return outcome;
    };
    let root = flake.root.clone();
    let mut read_back = |texts: &std::collections::BTreeMap<PathBuf, String>| {
        let overlay = texts.clone().into_iter().collect();
        let (back, resolved, diagnostics) = read_resolved(&root, overlay);
        let inventory = resolved.as_ref().map(|(i, _)| i);
        let errors: Vec<String> = diagnostics
            .iter()
            .filter(|d| d.is_error() && !crate::migrate::answers(&back, inventory, d))
            .map(|d| d.message.clone())
            .collect();
        let (inventory, graph) = resolved.unwrap_or_default();
        crate::migrate::ReadBack {
            inventory,
            graph,
            errors,
        }
    };
    let mut plan = crate::migrate::plan(&flake, &inventory, &graph, &mut read_back);
    outcome
        .diagnostics
        .extend(std::mem::take(&mut plan.diagnostics));
    outcome.sources = std::mem::take(&mut flake.sources);

    let verb = if dry_run { "would migrate" } else { "migrated" };
    let report = plan.report(verb);
    if !dry_run && !plan.files.is_empty() {
        let files: Vec<(PathBuf, String)> = plan
            .files
            .iter()
            .map(|(path, change)| (path.clone(), change.new.clone()))
            .collect();
        if let Err(d) = crate::write::replace_sources(&files) {
            outcome.diagnostics.push(d);
            return outcome;
        }
    }
    if json {
        let migrated: Vec<serde_json::Value> = plan
            .migrated
            .iter()
            .map(|key| {
                let detail = plan.details.get(key);
                serde_json::json!({
                    "module": key.0,
                    "instance": key.1,
                    "to": detail.map(|d| format!("instances.{}", crate::emit::nix::attr_name(&d.target))),
                    "moved": detail.map(|d| d.moved.iter().map(|(from, to)| serde_json::json!({ "from": from, "to": to })).collect::<Vec<_>>()),
                })
            })
            .collect();
        let changes: Vec<serde_json::Value> = plan
            .files
            .values()
            .map(|c| {
                serde_json::json!({
                    "change": if dry_run { "would-update" } else { "updated" },
                    "path": c.display,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "version": 1,
            "command": "migrate",
            "dry_run": dry_run,
            "migrated": migrated,
            "changes": changes,
        });
        outcome.stdout = serde_json::to_string_pretty(&doc).unwrap_or_default();
        outcome.stdout.push('\n');
        return outcome;
    }
    outcome.stdout = report;
    if dry_run {
        for change in plan.files.values() {
            outcome.stdout.push_str(
                &similar::TextDiff::from_lines(&change.old, &change.new)
                    .unified_diff()
                    .header(
                        &format!("a/{}", change.display),
                        &format!("b/{}", change.display),
                    )
                    .to_string(),
            );
        }
    }
    let files: Vec<&str> = plan.files.values().map(|c| c.display.as_str()).collect();
    if inventory.services.is_empty() {
        outcome.stdout.push_str("no legacy `services` to migrate\n");
    } else if plan.migrated.is_empty() {
        outcome.stdout.push_str("nothing migrated\n");
    } else if dry_run {
        outcome.stdout.push_str(&format!(
            "{} instance(s) would be migrated in {}; nothing was written\n",
            plan.migrated.len(),
            files.join(", ")
        ));
    } else {
        outcome.stdout.push_str(&format!(
            "{} instance(s) migrated in {}; run `inventory-gen` to regenerate\n",
            plan.migrated.len(),
            files.join(", ")
        ));
    }
    outcome
}
