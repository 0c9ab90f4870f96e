//! The command line's grammar: the options of every subcommand (each takes only those that mean
//! something to it, so a misplaced one is a usage error, exit 2), how they settle into what the
//! pipeline reads ([`Cli::settle`]: the subcommand's `--format`, `--out` and `--deny-warnings`,
//! and the flake, found upward from the current directory as nix and git do), and the man page
//! and completion scripts generated from it.

use crate::diagnostics::{Diagnostic, Kind};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

/// The command line as parsed. Each subcommand takes only the options that mean something to it
/// (`--out` for `generate` and `check`, a `--format` with its own values, …), so a misplaced
/// option is a usage error (exit 2) rather than silently ignored. [`Cli::settle`] then fills the
/// settled fields the pipeline reads (`flake`, `out`, `format`, `deny_warnings`).
#[derive(Parser, Debug, Clone)]
#[command(
    name = "inventory-gen",
    version,
    about = "Reads a clan inventory statically from a flake and writes one NixOS / nix-darwin module per machine.",
    long_about = "Reads a clan inventory statically from a flake and writes one NixOS / nix-darwin module per machine.\n\n\
        Without a subcommand it runs `generate`. The flake is found like nix and git do: the current \
        directory or the nearest parent holding a flake.nix (not past a git repository's root); \
        --flake DIR wins.\n\n\
        Exit codes: 0 ok, 1 inventory errors, stale files (check) or files changed \
        (generate --exit-non-zero-on-change), 2 usage or I/O problems."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `generate`'s options, when no subcommand is given.
    #[command(flatten)]
    pub generate: TopArgs,
    #[command(flatten)]
    pub global: GlobalArgs,

    /// The flake directory, settled: `--flake`, else found upward from the current directory.
    #[arg(skip)]
    pub flake: PathBuf,
    /// The output directory given with `--out`, settled.
    #[arg(skip)]
    pub out: Option<PathBuf>,
    /// The output format, settled.
    #[arg(skip)]
    pub format: OutputFormat,
    /// `--deny-warnings`, settled.
    #[arg(skip)]
    pub deny_warnings: bool,
    /// Whether `settle` has run (tests build a `Cli` with `try_parse_from`).
    #[arg(skip)]
    settled: bool,
}

/// Options every subcommand understands.
#[derive(Args, Debug, Clone, Default)]
pub struct GlobalArgs {
    /// The flake directory [default: the current directory or the nearest parent with a flake.nix].
    #[arg(long, global = true, value_name = "DIR")]
    pub flake: Option<PathBuf>,
    /// When to colour diagnostics; `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    pub color: Color,
    /// Print only diagnostics: no list of files, no status line.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// List every file changed, also on large fleets (which otherwise get a summary), and the
    /// Nix command, version and program of each island.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Never run Nix: a value the static reader cannot compute is an error (by default such a
    /// value, an "island", is evaluated by the user's Nix when `nix-instantiate` is on PATH; the
    /// environment variable INVENTORY_GEN_NO_NIX=1 does the same as this flag).
    #[arg(long, global = true)]
    pub no_nix: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

/// `generate`'s options given before any subcommand (`inventory-gen --out DIR`): optional, so
/// that [`Cli::settle`] can refuse them before another subcommand (`--out DIR check`). The
/// global options (`--flake`, `--color`, `--quiet`, `--verbose`) go anywhere.
#[derive(Args, Debug, Clone, Default)]
pub struct TopArgs {
    /// Output directory [default: <flake>/generated/inventory].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// `human` or `json`: see `inventory-gen generate --help`.
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Treat warnings as errors: nothing is written when there are any.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Exit 1 when any file was written, created or removed.
    #[arg(long)]
    pub exit_non_zero_on_change: bool,
}

impl TopArgs {
    /// The first option given, by name, for the error when a subcommand follows it.
    fn given(&self) -> Option<&'static str> {
        [
            (self.out.is_some(), "--out"),
            (self.format.is_some(), "--format"),
            (self.deny_warnings, "--deny-warnings"),
            (self.exit_non_zero_on_change, "--exit-non-zero-on-change"),
        ]
        .into_iter()
        .find_map(|(set, name)| set.then_some(name))
    }
}

/// Options of `generate` (also the options of `inventory-gen` without a subcommand).
#[derive(Args, Debug, Clone, Default)]
pub struct GenerateArgs {
    /// Output directory [default: $INVENTORY_GEN_OUT relative to the flake, else
    /// <flake>/generated/inventory].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// `human`: one line per file written and a status line; `json`: one document
    /// `{"version":1,"command":"generate","changes":[{"change","path"}],"unchanged":N}` on
    /// stdout, diagnostics as JSON on stderr.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Treat warnings as errors: nothing is written when there are any.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Exit 1 when any file was written, created or removed (as ruff's --exit-non-zero-on-fix),
    /// so that a pre-commit hook fails until the regenerated files are added.
    #[arg(long)]
    pub exit_non_zero_on_change: bool,
}

/// Options of `check`.
#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// The output directory to compare [default: $INVENTORY_GEN_OUT relative to the flake, else
    /// <flake>/generated/inventory].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also print a unified diff of each change (with `--format json`, in each change's `diff`).
    #[arg(long)]
    pub diff: bool,
    /// `human`: one line per stale file and a status line; `json`: one document
    /// `{"version":1,"command":"check","changes":[{"change","path","diff"?}],"unchanged":N}` on
    /// stdout, diagnostics as JSON on stderr.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Options of `eval`.
#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// How diagnostics are printed on stderr (the inventory itself is always JSON).
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

/// Options of `show`.
#[derive(Args, Debug, Clone)]
pub struct ShowArgs {
    /// The machine to show.
    pub machine: Option<String>,
    /// List only machines carrying this tag (repeatable: machines carrying all of them).
    #[arg(long = "tag", value_name = "TAG", conflicts_with = "machine")]
    pub tags: Vec<String>,
    /// `human`: text for people; `json`: the documented `show` record (docs/inspect.md).
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Options of `graph`.
#[derive(Args, Debug, Clone)]
pub struct GraphArgs {
    /// Only this instance, its roles and their machines.
    #[arg(long, value_name = "INSTANCE")]
    pub instance: Option<String>,
    /// Only this machine and the roles it holds.
    #[arg(long, value_name = "MACHINE")]
    pub machine: Option<String>,
    /// `dot` (Graphviz), `mermaid` (a flowchart) or `json` (nodes and edges, docs/inspect.md).
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Options of `migrate`.
#[derive(Args, Debug, Clone)]
pub struct MigrateArgs {
    /// Print what would change, as a diff; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// `human`: what was migrated (and the diff with --dry-run); `json`: one document
    /// `{"version":1,"command":"migrate","dry_run","migrated","changes"}`.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Write the generated files (the default command).
    Generate(GenerateArgs),
    /// Exit 1 if any generated file would change, listing them; writes nothing.
    Check(CheckArgs),
    /// Print the statically read inventory as JSON (as `nix-instantiate --eval --strict --json` would).
    Eval(EvalArgs),
    /// Show why a machine gets each service: class, tags and every membership with its reasons
    /// and settings layers; without MACHINE, list the machines.
    Show(ShowArgs),
    /// Print instances, roles and machines as a graph (DOT, Mermaid or JSON).
    Graph(GraphArgs),
    /// Print the JSON Schema (draft 2020-12) of the inventory, for editors validating inventory.json.
    Schema,
    /// Rewrite legacy `services.<module>.<instance>` as `instances.<instance>` in the Nix files.
    Migrate(MigrateArgs),
    /// Print a completion script for a shell: `inventory-gen completions bash > …`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), as installed by the Nix package.
    #[command(hide = true)]
    Man,
}

impl Command {
    /// The subcommand's name on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Generate(_) => "generate",
            Command::Check(_) => "check",
            Command::Eval(_) => "eval",
            Command::Show(_) => "show",
            Command::Graph(_) => "graph",
            Command::Schema => "schema",
            Command::Migrate(_) => "migrate",
            Command::Completions { .. } => "completions",
            Command::Man => "man",
        }
    }
}

/// `--format` of `generate`, `check`, `eval`, `show` and `migrate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Human,
    Json,
}

/// `--format` of `graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Json,
    Mermaid,
}

/// The format the pipeline prints in, whatever the subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Human,
    Json,
    Dot,
    Mermaid,
}

impl From<ReportFormat> for OutputFormat {
    fn from(f: ReportFormat) -> OutputFormat {
        match f {
            ReportFormat::Human => OutputFormat::Human,
            ReportFormat::Json => OutputFormat::Json,
        }
    }
}

impl Cli {
    /// Fills the settled fields from the subcommand's options and finds the flake; a usage
    /// problem (no flake.nix found, `--flake` where it means nothing) is a diagnostic to print
    /// (with the `--format` and `--color` settled so far).
    pub fn settle(&mut self) -> Result<(), Diagnostic> {
        if self.settled {
            return Ok(());
        }
        self.settled = true;
        if let (Some(command), Some(option)) = (&self.command, self.generate.given()) {
            let name = command.name();
            return Err(Diagnostic::new(
                Kind::Usage,
                format!("`{option}` before the subcommand `{name}` is an option of `generate`"),
            )
            .with_hint(format!(
                "options of a subcommand follow it (`inventory-gen {name} --help` lists them)"
            )));
        }
        let command = self.command.clone().unwrap_or_else(|| {
            Command::Generate(GenerateArgs {
                out: self.generate.out.clone(),
                format: self.generate.format.unwrap_or_default(),
                deny_warnings: self.generate.deny_warnings,
                exit_non_zero_on_change: self.generate.exit_non_zero_on_change,
            })
        });
        let (out, format, deny) = match &command {
            Command::Generate(a) => (a.out.clone(), a.format.into(), a.deny_warnings),
            Command::Check(a) => (a.out.clone(), a.format.into(), a.deny_warnings),
            Command::Eval(a) => (None, a.format.into(), false),
            Command::Show(a) => (None, a.format.into(), a.deny_warnings),
            Command::Graph(a) => (
                None,
                match a.format {
                    GraphFormat::Dot => OutputFormat::Dot,
                    GraphFormat::Json => OutputFormat::Json,
                    GraphFormat::Mermaid => OutputFormat::Mermaid,
                },
                a.deny_warnings,
            ),
            Command::Migrate(a) => (None, a.format.into(), a.deny_warnings),
            Command::Schema | Command::Completions { .. } | Command::Man => {
                if self.global.flake.is_some() {
                    return Err(Diagnostic::new(
                        Kind::Usage,
                        "`--flake` means nothing to this command: it reads no flake",
                    ));
                }
                (None, OutputFormat::Human, false)
            }
        };
        self.command = Some(command);
        self.out = out;
        self.format = format;
        self.deny_warnings = deny;
        if !matches!(
            self.command,
            Some(Command::Schema | Command::Completions { .. } | Command::Man)
        ) {
            self.flake = find_flake(self.global.flake.as_deref())?;
        }
        // The Nix app and hook of a flake whose generated directory is not the default pass it
        // this way (relative to the flake), so that every subcommand can run through them.
        if matches!(self.command, Some(Command::Generate(_) | Command::Check(_)))
            && self.out.is_none()
            && let Some(out) = std::env::var_os("INVENTORY_GEN_OUT").filter(|v| !v.is_empty())
        {
            self.out = Some(self.flake.join(out));
        }
        Ok(())
    }

    pub(crate) fn subcommand(&self) -> &Command {
        match &self.command {
            Some(c) => c,
            // Only before `settle`, which sets it.
            None => &DEFAULT_COMMAND,
        }
    }
}

static DEFAULT_COMMAND: Command = Command::Generate(GenerateArgs {
    out: None,
    format: ReportFormat::Human,
    deny_warnings: false,
    exit_non_zero_on_change: false,
});

/// The flake directory: `explicit` (which must hold a flake.nix), else the current directory or
/// the nearest parent with a flake.nix, as `nix` does: the search stops at a git repository's
/// root (a directory with `.git`) and at the file system's root. Not finding one is a usage
/// error (exit 2).
fn find_flake(explicit: Option<&Path>) -> Result<PathBuf, Diagnostic> {
    if let Some(dir) = explicit {
        if dir.exists() && !dir.join("flake.nix").is_file() {
            return Err(Diagnostic::new(
                Kind::Usage,
                format!("`{}` has no flake.nix", dir.display()),
            )
            .with_hint("--flake takes the directory that holds flake.nix"));
        }
        // A missing directory is reported by `read` (an I/O error, also exit 2).
        return Ok(dir.to_path_buf());
    }
    let cwd = std::env::current_dir().map_err(|e| {
        Diagnostic::new(
            Kind::Usage,
            format!("cannot read the current directory: {e}"),
        )
    })?;
    let mut dir = cwd.as_path();
    loop {
        if dir.join("flake.nix").is_file() {
            return Ok(if dir == cwd {
                PathBuf::from(".")
            } else {
                dir.to_path_buf()
            });
        }
        let top = dir.join(".git").exists();
        match dir.parent() {
            Some(parent) if !top => dir = parent,
            _ => break,
        }
    }
    let problem = Diagnostic::new(
        Kind::Usage,
        format!(
            "no flake.nix in `{}` or any parent directory{}",
            cwd.display(),
            if dir.join(".git").exists() && dir != cwd {
                format!(" up to the git repository's root `{}`", dir.display())
            } else {
                String::new()
            }
        ),
    );
    Err(problem.with_hint("run inventory-gen inside the flake, or pass --flake DIR"))
}

/// The man page: `inventory-gen(1)` with every subcommand's options in it.
pub fn man_page() -> String {
    let command = <Cli as CommandFactory>::command();
    let mut bytes = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    let _ = man.render_title(&mut bytes);
    let _ = man.render_name_section(&mut bytes);
    let _ = man.render_synopsis_section(&mut bytes);
    let _ = man.render_description_section(&mut bytes);
    let _ = man.render_options_section(&mut bytes);
    // One section per subcommand, with its own options (clap_mangen lists only their names).
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        // Leaked once per subcommand, by a command that prints and exits.
        let title: &'static str = format!("inventory-gen {name}").leak();
        let mut sub = sub.clone().name(title);
        sub.build();
        let mut section = Vec::new();
        let man = clap_mangen::Man::new(sub);
        let _ = man.render_synopsis_section(&mut section);
        let _ = man.render_description_section(&mut section);
        let _ = man.render_options_section(&mut section);
        let text = String::from_utf8_lossy(&section)
            .replace(
                ".SH SYNOPSIS",
                &format!(".SH \"COMMAND {}\"", name.to_uppercase()),
            )
            .replace(".SH DESCRIPTION\n", ".PP\n")
            .replace(".SH OPTIONS\n", "");
        bytes.extend_from_slice(text.as_bytes());
    }
    let _ = man.render_version_section(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}
