//! The command line: parses arguments, runs the pipeline, prints results and diagnostics, and
//! maps the outcome to the documented exit codes: 0 ok, 1 inventory errors or stale files,
//! 2 usage or I/O failure. Nothing here panics on bad input: every failure is a diagnostic.

mod args;

pub use args::{
    CheckArgs, Cli, Color, Command, EvalArgs, GenerateArgs, GlobalArgs, GraphArgs, GraphFormat,
    MigrateArgs, OutputFormat, ReportFormat, ShowArgs, TopArgs, man_page,
};

use crate::diagnostics::{self, Diagnostic, Kind, SourceMap};
use clap::{CommandFactory, Parser};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
    let mut cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if let Err(problem) = cli.settle() {
        let mut outcome = Outcome::new(SourceMap::default());
        outcome.diagnostics.push(problem);
        return ExitCode::from(print(&cli, outcome));
    }
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
    print(cli, outcome)
}

/// Whether diagnostics are coloured: `--color`, and for `auto` a terminal without `NO_COLOR`
/// (<https://no-color.org>: set and not empty).
fn colored(cli: &Cli) -> bool {
    match cli.global.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Prints an outcome (stdout, then diagnostics on stderr) and returns the exit code.
fn print(cli: &Cli, outcome: Outcome) -> u8 {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(outcome.stdout.as_bytes());
    let _ = stdout.flush();
    let mut diagnostics = outcome.diagnostics;
    diagnostics.sort_by_key(|d| (d.severity(), d.span));
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let denied = cli.deny_warnings && warnings > 0;
    if !diagnostics.is_empty() || cli.format == OutputFormat::Json {
        let text = match cli.format {
            OutputFormat::Json => diagnostics::render_json(&outcome.sources, &diagnostics, denied),
            _ => {
                let mut text =
                    diagnostics::render_human(&outcome.sources, &diagnostics, colored(cli));
                if errors + warnings > 0 {
                    text.push_str(&summary(errors, warnings, denied));
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

fn summary(errors: usize, warnings: usize, denied: bool) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let line = match (errors, warnings) {
        (0, w) => format!("{} emitted", plural(w, "warning")),
        (e, 0) => format!("{} found", plural(e, "error")),
        (e, w) => format!("{} and {} found", plural(e, "error"), plural(w, "warning")),
    };
    if denied {
        format!("{line}; warnings are denied (--deny-warnings): exit 1\n")
    } else {
        format!("{line}\n")
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

/// Runs the command (settling `cli` first if needed) without printing.
pub fn execute(cli: &Cli) -> Outcome {
    let mut cli = cli.clone();
    if let Err(problem) = cli.settle() {
        let mut outcome = Outcome::new(SourceMap::default());
        outcome.diagnostics.push(problem);
        return outcome;
    }
    crate::read::islands::configure(cli.global.no_nix, cli.global.verbose);
    let cli = &cli;
    match cli.subcommand() {
        Command::Eval(_) => eval(cli),
        Command::Generate(_) => generate(cli, None),
        Command::Check(args) => generate(cli, Some(args.diff)),
        Command::Show(args) => inspect(cli, |ctx, json| match &args.machine {
            Some(m) => crate::inspect::show::machine(ctx, m, json),
            None => crate::inspect::show::machines(ctx, &args.tags, json),
        }),
        Command::Graph(args) => {
            let filter = crate::inspect::graph::Filter {
                instance: args.instance.clone(),
                machine: args.machine.clone(),
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
        Command::Migrate(args) => migrate(cli, args.dry_run),
        Command::Completions { shell } => {
            let mut outcome = Outcome::new(SourceMap::default());
            let mut bytes = Vec::new();
            clap_complete::generate(
                *shell,
                &mut <Cli as CommandFactory>::command(),
                "inventory-gen",
                &mut bytes,
            );
            outcome.stdout = String::from_utf8_lossy(&bytes).into_owned();
            outcome
        }
        Command::Man => {
            let mut outcome = Outcome::new(SourceMap::default());
            outcome.stdout = man_page();
            outcome
        }
    }
}

/// Runs read → lower → resolve, then `render` on the graph (`show`, `graph`); a rendering
/// failure (an unknown name on the command line) is a diagnostic. Errors in the inventory do not
/// stop it: what resolved is shown, what holds an error is marked ([`crate::inspect::Broken`]),
/// and the errors are printed and exit 1 as for `check`.
fn inspect(
    cli: &Cli,
    render: impl FnOnce(&crate::inspect::Context, bool) -> Result<String, Diagnostic>,
) -> Outcome {
    let mut outcome = Outcome::new(SourceMap::default());
    let (mut flake, diagnostics) = crate::read::read_flake(&cli.flake);
    outcome.diagnostics = diagnostics;
    let Some(data) = flake.inventory.take() else {
        outcome.sources = std::mem::take(&mut flake.sources);
        return outcome;
    };
    let (inventory, lower_diagnostics) = crate::lower::lower(&data);
    outcome.diagnostics.extend(lower_diagnostics);
    let (mut graph, resolve_diagnostics) =
        crate::resolve::resolve(&inventory, &flake.modules, &flake.inputs);
    outcome.diagnostics.extend(resolve_diagnostics);
    outcome.diagnostics.extend(crate::resolve::resolve_legacy(
        &mut graph,
        &inventory,
        &flake.legacy_modules,
    ));
    outcome.sources = std::mem::take(&mut flake.sources);
    let unknown_settings = crate::interface::check(&graph, &mut outcome.sources, &flake.root);
    outcome.diagnostics.extend(unknown_settings);
    let broken = crate::inspect::Broken::find(Some(&data), &outcome.diagnostics);
    let ctx = crate::inspect::Context {
        graph: &graph,
        sources: &outcome.sources,
        root: &flake.root,
        broken: &broken,
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

/// Runs read → lower → resolve, calling `lowered` with the inventory as soon as it is typed;
/// `None` when an error (or a denied warning) stops the run.
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
    let unknown_settings = crate::interface::check(&graph, &mut outcome.sources, &flake.root);
    outcome.diagnostics.extend(unknown_settings);
    if stop(outcome) {
        return None;
    }
    Some((flake, graph))
}

fn generate(cli: &Cli, check: Option<bool>) -> Outcome {
    crate::timing::start();
    let mode = match check {
        Some(_) => crate::write::Mode::Check,
        None => crate::write::Mode::Write,
    };
    // Where the output goes if the flake is where `--flake` says: `write` reads it (and stages a
    // first generation) while the flake is resolved.
    let guess = cli.flake.canonicalize().ok().map(|root| {
        let out = out_dir(cli, &root);
        (root, out)
    });
    let mut outcome = Outcome::new(SourceMap::default());
    let produced = crate::write::Output::run(guess, mode, |output| {
        let lowered = &mut |inventory: &crate::lower::Inventory| output.inventory_known(inventory);
        let (flake, graph) = resolve_flake_then(cli, &mut outcome, lowered)?;
        let out = out_dir(cli, &flake.root);
        if let Err(d) = output.place(&flake.root, &out) {
            outcome.diagnostics.push(d);
            return None;
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
        Some(((flake, graph, out), files))
    });
    let Some(((flake, graph, out), files, written)) = produced else {
        return outcome;
    };
    let plan = match written {
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
    let (stdout, code) = report(cli, check, &shown, &plan, &files);
    outcome.stdout = stdout;
    outcome.code = code;
    outcome
        .leftovers
        .push(Box::new((flake, graph, files, plan)));
    outcome
}

/// A line for each generated file that was edited by hand since it was written, whose edit the
/// run replaces (or, for `check`, would replace).
fn hand_edits(plan: &crate::write::Report, shown: &Path, check: bool) -> String {
    let mut text = String::new();
    for (path, change) in &plan.changes {
        if let crate::write::Change::Update { edited: true, .. } = change {
            let path = shown.join(path);
            text.push_str(&if check {
                format!(
                    "note: {} was edited by hand since it was generated; generating replaces the edit\n",
                    path.display()
                )
            } else {
                format!(
                    "note: hand edit replaced in {} (git has its previous text if it was committed)\n",
                    path.display()
                )
            });
        }
    }
    text
}

/// Above this many changed files, `generate` and `check` print a summary by kind instead of one
/// line per file (unless `--verbose`): a first generation of a large fleet is thousands of lines.
const LIST_AT_MOST: usize = 20;

/// What `generate` (`check = None`) or `check` (`Some(diff)`) prints about `plan`, and the exit
/// code it forces: 1 for stale files, and for any change with `--exit-non-zero-on-change`.
fn report(
    cli: &Cli,
    check: Option<bool>,
    shown: &Path,
    plan: &crate::write::Report,
    files: &std::collections::BTreeMap<PathBuf, String>,
) -> (String, Option<u8>) {
    use crate::write::Change;
    let exit_on_change = matches!(
        cli.subcommand(),
        Command::Generate(GenerateArgs {
            exit_non_zero_on_change: true,
            ..
        })
    );
    let code = (!plan.changes.is_empty() && (check.is_some() || exit_on_change)).then_some(1);
    let verb = |change: &Change| match (change, check.is_some()) {
        (Change::Create, false) => "created",
        (Change::Update { .. }, false) => "updated",
        (Change::Remove { .. }, false) => "removed",
        (Change::Create, true) => "would create",
        (Change::Update { .. }, true) => "would update",
        (Change::Remove { .. }, true) => "would remove",
    };
    let diff = |path: &PathBuf, change: &Change| {
        crate::write::diff(
            &shown.join(path),
            change,
            files.get(path).map(String::as_str),
        )
    };
    if cli.format == OutputFormat::Json {
        let changes: Vec<serde_json::Value> = plan
            .changes
            .iter()
            .map(|(path, change)| {
                let mut entry = serde_json::json!({
                    "change": verb(change).replace(' ', "-"),
                    "path": shown.join(path),
                });
                if check == Some(true) {
                    entry["diff"] = serde_json::Value::String(diff(path, change));
                }
                entry
            })
            .collect();
        let doc = serde_json::json!({
            "version": 1,
            "command": if check.is_some() { "check" } else { "generate" },
            "changes": changes,
            "unchanged": plan.unchanged,
        });
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        return (text, code);
    }
    let mut text = String::new();
    if !cli.global.quiet {
        if plan.changes.len() <= LIST_AT_MOST || cli.global.verbose {
            for (path, change) in &plan.changes {
                text.push_str(&format!(
                    "{} {}\n",
                    verb(change),
                    shown.join(path).display()
                ));
            }
        } else {
            let mut counts = std::collections::BTreeMap::<&str, usize>::new();
            for change in plan.changes.values() {
                *counts.entry(verb(change)).or_default() += 1;
            }
            let counts: Vec<String> = counts
                .iter()
                .map(|(verb, n)| format!("{verb} {n} files"))
                .collect();
            text.push_str(&format!("{} (--verbose lists them)\n", counts.join(", ")));
        }
        text.push_str(&hand_edits(plan, shown, check.is_some()));
    }
    if check == Some(true) {
        for (path, change) in &plan.changes {
            text.push_str(&diff(path, change));
        }
    }
    if cli.global.quiet {
        return (text, code);
    }
    let total = plan.changes.len() + plan.unchanged;
    match check {
        Some(_) if plan.changes.is_empty() => text.push_str(&format!(
            "{} is up to date ({total} files)\n",
            shown.display(),
        )),
        Some(_) => text.push_str(&format!(
            "{} is stale: {} of {total} files would change; run `inventory-gen` to update\n",
            shown.display(),
            plan.changes.len(),
        )),
        None => {
            text.push_str(&format!(
                "{}: {} changed, {} unchanged\n",
                shown.display(),
                plan.changes.len(),
                plan.unchanged
            ));
            if plan.changes.values().any(|c| *c == Change::Create) {
                text.push_str(&format!(
                    "hint: flakes only see files git knows: git add {}\n",
                    shown.display()
                ));
            }
            if code.is_some() {
                text.push_str("files changed: exit 1 (--exit-non-zero-on-change)\n");
            }
        }
    }
    (text, code)
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
    // `--quiet`: only the diff that --dry-run asks for.
    outcome.stdout = if cli.global.quiet {
        String::new()
    } else {
        report
    };
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
    if cli.global.quiet {
        return outcome;
    }
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
