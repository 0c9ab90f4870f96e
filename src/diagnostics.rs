//! Diagnostics: one enum of kinds, each with a stable code, a severity and a summary; the
//! source files they point into; and the two renderings (rustc-like text, JSON).
//!
//! Every diagnostic the tool prints comes from here, so its code is stable and documented, it
//! carries a file and byte range (unless it is about the command line or the file system as a
//! whole), and rnix's own error text is never shown to users.

mod window;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, LabelStyle};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, range: rowan::TextRange) -> Span {
        Span {
            file,
            start: range.start().into(),
            end: range.end().into(),
        }
    }
}

/// The files read so far: their display names (relative to the flake), absolute paths and text.
#[derive(Default)]
pub struct SourceMap {
    files: SimpleFiles<String, String>,
    paths: Vec<PathBuf>,
}

impl SourceMap {
    pub fn add(&mut self, display: String, path: PathBuf, text: String) -> FileId {
        let id = self.files.add(display, text);
        self.paths.push(path);
        FileId(id as u32)
    }

    pub fn text(&self, file: FileId) -> &str {
        self.files
            .get(file.0 as usize)
            .map(|f| f.source().as_str())
            .unwrap_or("")
    }

    pub fn name(&self, file: FileId) -> &str {
        self.files
            .get(file.0 as usize)
            .map(|f| f.name().as_str())
            .unwrap_or("<unknown>")
    }

    pub fn path(&self, file: FileId) -> &Path {
        &self.paths[file.0 as usize]
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.paths
            .iter()
            .position(|p| p == path)
            .map(|i| FileId(i as u32))
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: u32) -> (usize, usize) {
        let text = self.text(file);
        let offset = (offset as usize).min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }

    /// `file:line:col` of a span's start, as editors and terminals understand it.
    pub fn location(&self, span: Span) -> String {
        let (line, col) = self.line_col(span.file, span.start);
        format!("{}:{line}:{col}", self.name(span.file))
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Every kind of problem the tool reports. The code of a kind never changes once released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A file is not valid Nix or JSON.
    Syntax,
    /// A value is needed but cannot be known without evaluating Nix.
    NotStatic,
    /// Evaluating the inventory fails the way it would in Nix (missing attribute, bad operands).
    EvalError,
    /// A file named by `import`, `readFile` or `imports` does not exist or cannot be read.
    MissingFile,
    /// An import leads outside the flake or back to a file that is being read.
    BadImport,
    /// `flake.nix` defines no inventory in any form the tool knows.
    NoInventory,
    /// The same value is defined twice with different contents.
    Duplicate,
    /// A value has the wrong type for its place in the inventory.
    WrongType,
    /// A key the inventory does not have.
    UnknownKey,
    /// A machine, instance, role or tag name that cannot be used.
    BadName,
    /// A role names a machine that is not in the inventory.
    UnknownMachine,
    /// An instance uses a role its service module does not define.
    UnknownRole,
    /// An instance uses a service module that cannot be found.
    UnknownModule,
    /// `module.input` names an input that flake.nix does not declare.
    UnknownInput,
    /// A tag used by a role matches no machine.
    UnusedTag,
    /// A role names machines the inventory does not declare (clan-core accepts them; they get
    /// no configuration).
    UndeclaredMember,
    /// A registered service module no instance uses cannot be read (clan-core never reads it).
    UnusedModule,
    /// A legacy `services` instance (superseded by `instances`).
    LegacyService,
    /// `migrate` cannot rewrite something without changing its meaning.
    CannotMigrate,
    /// A file in the output directory was not written by this tool.
    ForeignFile,
    /// Reading or writing the file system failed.
    Io,
    /// The command line asks for something that cannot be done.
    Usage,
}

impl Kind {
    /// The stable code shown in brackets and in JSON output.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Syntax => "syntax",
            Kind::NotStatic => "not-static",
            Kind::EvalError => "eval-error",
            Kind::MissingFile => "missing-file",
            Kind::BadImport => "bad-import",
            Kind::NoInventory => "no-inventory",
            Kind::Duplicate => "duplicate-definition",
            Kind::WrongType => "wrong-type",
            Kind::UnknownKey => "unknown-key",
            Kind::BadName => "bad-name",
            Kind::UnknownMachine => "unknown-machine",
            Kind::UnknownRole => "unknown-role",
            Kind::UnknownModule => "unknown-module",
            Kind::UnknownInput => "unknown-input",
            Kind::UnusedTag => "unused-tag",
            Kind::UndeclaredMember => "undeclared-member",
            Kind::UnusedModule => "unused-module",
            Kind::LegacyService => "legacy-service",
            Kind::CannotMigrate => "cannot-migrate",
            Kind::ForeignFile => "foreign-file",
            Kind::Io => "io",
            Kind::Usage => "usage",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Kind::UnusedTag | Kind::LegacyService | Kind::UndeclaredMember | Kind::UnusedModule => {
                Severity::Warning
            }
            _ => Severity::Error,
        }
    }

    /// Every kind, for documentation and tests.
    pub const ALL: [Kind; 22] = [
        Kind::Syntax,
        Kind::NotStatic,
        Kind::EvalError,
        Kind::MissingFile,
        Kind::BadImport,
        Kind::NoInventory,
        Kind::Duplicate,
        Kind::WrongType,
        Kind::UnknownKey,
        Kind::BadName,
        Kind::UnknownMachine,
        Kind::UnknownRole,
        Kind::UnknownModule,
        Kind::UnknownInput,
        Kind::UnusedTag,
        Kind::UndeclaredMember,
        Kind::UnusedModule,
        Kind::LegacyService,
        Kind::CannotMigrate,
        Kind::ForeignFile,
        Kind::Io,
        Kind::Usage,
    ];
}

/// A secondary location with its own message ("first defined here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub kind: Kind,
    pub message: String,
    pub span: Option<Span>,
    /// Short text under the caret.
    pub label: Option<String>,
    pub notes: Vec<Note>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(kind: Kind, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            kind,
            message: message.into(),
            span: None,
            label: None,
            notes: Vec::new(),
            hint: None,
        }
    }

    pub fn at(kind: Kind, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(kind, message).with_span(span)
    }

    pub fn with_span(mut self, span: Span) -> Diagnostic {
        self.span = Some(span);
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_note(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.notes.push(Note {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn severity(&self) -> Severity {
        self.kind.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

/// How diagnostics are printed (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// Renders diagnostics like rustc: code, message, `file:line:col`, the source line with a caret.
pub fn render_human(sources: &SourceMap, diagnostics: &[Diagnostic], color: bool) -> String {
    let mut buffer = if color {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    let config = term::Config::default();
    for diagnostic in diagnostics {
        let places: Vec<(usize, usize)> = diagnostic
            .span
            .iter()
            .chain(diagnostic.notes.iter().map(|n| &n.span))
            .map(|s| (s.file.0 as usize, s.start as usize))
            .collect();
        let files = window::Windowed::new(&sources.files, &places);
        let cs = to_codespan(diagnostic, |file, range| files.range(file, range));
        // Rendering only fails for spans outside their file, which `to_codespan` clamps away.
        let _ = term::emit_to_write_style(&mut buffer, &config, &files, &cs);
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

/// `place` moves a span's range into the files the renderer sees (see [`window`]).
fn to_codespan(
    diagnostic: &Diagnostic,
    place: impl Fn(usize, std::ops::Range<usize>) -> std::ops::Range<usize>,
) -> CsDiagnostic<usize> {
    let mut cs = match diagnostic.severity() {
        Severity::Error => CsDiagnostic::error(),
        Severity::Warning => CsDiagnostic::warning(),
    }
    .with_code(diagnostic.kind.code())
    .with_message(&diagnostic.message);
    let mut labels = Vec::new();
    if let Some(span) = diagnostic.span {
        labels.push(
            Label::new(
                LabelStyle::Primary,
                span.file.0 as usize,
                place(span.file.0 as usize, span.start as usize..span.end as usize),
            )
            .with_message(diagnostic.label.clone().unwrap_or_default()),
        );
    }
    for note in &diagnostic.notes {
        labels.push(
            Label::new(
                LabelStyle::Secondary,
                note.span.file.0 as usize,
                place(
                    note.span.file.0 as usize,
                    note.span.start as usize..note.span.end as usize,
                ),
            )
            .with_message(&note.message),
        );
    }
    cs = cs.with_labels(labels);
    if let Some(hint) = &diagnostic.hint {
        cs = cs.with_notes(vec![format!("hint: {hint}")]);
    }
    cs
}

#[derive(Serialize)]
struct JsonLocation<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
struct JsonNote<'a> {
    message: &'a str,
    #[serde(flatten)]
    location: JsonLocation<'a>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: Severity,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<JsonLocation<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    notes: Vec<JsonNote<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
}

fn json_location(sources: &SourceMap, span: Span) -> JsonLocation<'_> {
    let (line, column) = sources.line_col(span.file, span.start);
    let (end_line, end_column) = sources.line_col(span.file, span.end);
    JsonLocation {
        file: sources.name(span.file),
        line,
        column,
        end_line,
        end_column,
    }
}

/// The JSON form of diagnostics, one document: `{"version":1,"diagnostics":[…]}`, with
/// `"warnings_denied": true` when `--deny-warnings` made the warnings fail the run.
pub fn render_json(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    warnings_denied: bool,
) -> String {
    let list: Vec<JsonDiagnostic> = diagnostics
        .iter()
        .map(|d| JsonDiagnostic {
            code: d.kind.code(),
            severity: d.severity(),
            message: &d.message,
            location: d.span.map(|s| json_location(sources, s)),
            label: d.label.as_deref(),
            notes: d
                .notes
                .iter()
                .map(|n| JsonNote {
                    message: &n.message,
                    location: json_location(sources, n.span),
                })
                .collect(),
            hint: d.hint.as_deref(),
        })
        .collect();
    let mut doc = serde_json::json!({ "version": 1, "diagnostics": list });
    if warnings_denied {
        // `--deny-warnings` turned the warnings into the reason for exit 1.
        doc["warnings_denied"] = serde_json::Value::Bool(true);
    }
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The closest candidate to a misspelt `name`, for "did you mean" hints: by Damerau–Levenshtein
/// distance (a transposition such as `wbe` → `web` is one edit), at most a third of the longer
/// name (at least 1); ties go to the higher Jaro–Winkler similarity (a shared prefix), then to
/// the first name in order. Case differences count as edits. `None` when nothing is close.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, f64, &'a str)> = None;
    for c in candidates {
        let distance = strsim::damerau_levenshtein(name, c);
        let longer = name.chars().count().max(c.chars().count());
        if distance == 0 || distance > (longer / 3).max(1) {
            continue;
        }
        let similarity = strsim::jaro_winkler(name, c);
        let better = match best {
            None => true,
            Some((d, s, _)) => distance < d || (distance == d && similarity > s),
        };
        if better {
            best = Some((distance, similarity, c));
        }
    }
    best.map(|(_, _, c)| c)
}

/// How many candidates a hint lists before "and N more".
const LISTED: usize = 12;

/// `label: a, b, c` (the first [`LISTED`], then "and N more"); `None` for no candidates, so
/// that no hint ever ends in an empty list.
pub fn candidates(label: &str, names: &[&str]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let mut text = format!("{label}: {}", names[..names.len().min(LISTED)].join(", "));
    if names.len() > LISTED {
        text.push_str(&format!(" and {} more", names.len() - LISTED));
    }
    Some(text)
}

/// The hint for an unknown `name`: "did you mean `x`?" when one candidate is close, followed by
/// the candidates under `label`; `None` when there are no candidates at all (the caller says
/// what to do instead).
pub fn did_you_mean(name: &str, label: &str, names: &[&str]) -> Option<String> {
    let list = candidates(label, names)?;
    Some(match suggest(name, names.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? {list}"),
        None => list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut codes: Vec<_> = Kind::ALL.iter().map(|k| k.code()).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'))
        );
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Kind::ALL.len());
    }

    #[test]
    fn line_col_counts_characters() {
        let mut sources = SourceMap::default();
        let f = sources.add("a.nix".into(), "a.nix".into(), "x\n  ünï = 1;\n".into());
        let offset = "x\n  ünï = ".len() as u32;
        assert_eq!(sources.line_col(f, offset), (2, 9));
        assert_eq!(sources.line_col(f, 0), (1, 1));
    }

    #[test]
    fn human_rendering_shows_location_code_and_caret() {
        let mut sources = SourceMap::default();
        let f = sources.add(
            "flake.nix".into(),
            "flake.nix".into(),
            "{\n  a = b;\n}\n".into(),
        );
        let d = Diagnostic::at(
            Kind::NotStatic,
            Span {
                file: f,
                start: 8,
                end: 9,
            },
            "cannot know `b`",
        )
        .with_hint("define it in a let");
        let text = render_human(&sources, &[d], false);
        assert!(
            text.contains("error[not-static]: cannot know `b`"),
            "{text}"
        );
        assert!(text.contains("flake.nix:2:7"), "{text}");
        assert!(text.contains("^"), "{text}");
        assert!(text.contains("hint: define it in a let"), "{text}");
    }

    #[test]
    fn suggestions_pick_close_names_only() {
        assert_eq!(suggest("sevrer", ["server", "client"]), Some("server"));
        assert_eq!(suggest("zzz", ["server", "client"]), None);
        assert_eq!(suggest("server", ["server"]), None);
    }

    #[test]
    fn transpositions_are_one_edit() {
        // Plain Levenshtein counts these as two edits, too many for three- and four-letter names.
        assert_eq!(suggest("wbe", ["db", "web", "laptop"]), Some("web"));
        assert_eq!(suggest("egde", ["edge", "all", "nixos"]), Some("edge"));
        assert_eq!(suggest("nxios", ["nixos", "darwin"]), Some("nixos"));
    }

    #[test]
    fn ties_go_to_the_shared_prefix() {
        assert_eq!(suggest("dbb", ["xbb", "dba"]), Some("dba"));
    }

    #[test]
    fn hints_never_list_nothing() {
        assert_eq!(did_you_mean("x", "tags in use", &[]), None);
        assert_eq!(candidates("roles", &[]), None);
        assert_eq!(
            did_you_mean("wbe", "machines", &["db", "web"]).as_deref(),
            Some("did you mean `web`? machines: db, web")
        );
        let many: Vec<String> = (0..15).map(|i| format!("m{i:02}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            candidates("machines", &many).as_deref(),
            Some("machines: m00, m01, m02, m03, m04, m05, m06, m07, m08, m09, m10, m11 and 3 more")
        );
    }
}
