//! Diagnostics the evaluator writes: type errors, values that are not static, duplicate
//! bindings, and syntax errors in rnix's terms translated into a user's terms (rnix's own error
//! text is never shown).

use super::value::{Val, type_name};
use crate::diagnostics::{Diagnostic, FileId, Kind, SourceMap, Span};

pub(crate) fn err(kind: Kind, span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::at(kind, span, message)
}

pub(crate) fn not_static(span: Span, what: &str) -> Diagnostic {
    err(
        Kind::NotStatic,
        span,
        format!("{what} cannot be known without evaluating Nix"),
    )
    .with_label("needed here")
    .with_hint(
        "the inventory must be static data: literals, let, inherit, `//`, imports of files in the flake, and lib.mkForce/mkDefault/mkOverride",
    )
}

pub(crate) fn type_error(span: Span, expected: &str, got: &Val) -> Diagnostic {
    err(
        Kind::WrongType,
        span,
        format!("expected {expected}, found {}", type_name(got)),
    )
}
pub(crate) fn duplicate(name: &str, span: Span, first: Span) -> Diagnostic {
    err(
        Kind::Duplicate,
        span,
        format!("attribute `{name}` is defined twice"),
    )
    .with_label("defined again here")
    .with_note(first, "first defined here")
    .with_hint("merge the two definitions into one")
}

/// Our own words for rnix's parse errors.
pub(crate) fn syntax_error(file: FileId, e: &rnix::ParseError) -> Diagnostic {
    use rnix::ParseError as P;
    let at = |range: rowan::TextRange| Span::new(file, range);
    let end = Span {
        file,
        start: u32::MAX,
        end: u32::MAX,
    };
    let (span, message) = match e {
        P::Unexpected(range) => (at(*range), "unexpected text".to_string()),
        P::UnexpectedExtra(range) => (
            at(*range),
            "unexpected text after the end of the expression".into(),
        ),
        // rnix lexes the rest of the file after an unclosed quote as one error token.
        P::UnexpectedWanted(rnix::SyntaxKind::TOKEN_ERROR, range, wanted)
            if wanted.contains(&rnix::SyntaxKind::TOKEN_STRING_END) =>
        {
            let start = u32::from(range.start()).saturating_sub(1);
            (
                Span {
                    file,
                    start,
                    end: start + 1,
                },
                "this string is never closed".into(),
            )
        }
        P::UnexpectedWanted(got, range, wanted) => (
            at(*range),
            format!(
                "expected {}, found {}",
                describe_kinds(wanted),
                describe_kind(*got)
            ),
        ),
        P::UnexpectedDoubleBind(range) => (at(*range), "the argument set is bound twice".into()),
        P::UnexpectedEOF => (end, "unexpected end of file".into()),
        P::UnexpectedEOFWanted(wanted) => (
            end,
            format!(
                "unexpected end of file, expected {}",
                describe_kinds(wanted)
            ),
        ),
        P::DuplicatedArgs(range, name) => {
            (at(*range), format!("the argument `{name}` is listed twice"))
        }
        P::RecursionLimitExceeded => (
            Span {
                file,
                start: 0,
                end: 0,
            },
            "the file is nested too deeply to parse".into(),
        ),
        _ => (
            Span {
                file,
                start: 0,
                end: 0,
            },
            "the file is not valid Nix".into(),
        ),
    };
    // Point at where the problem starts, not at everything rnix skipped after it.
    let span = Span {
        end: span.end.min(span.start.saturating_add(1)),
        ..span
    };
    err(Kind::Syntax, span, message).with_label("here")
}

pub(crate) fn describe_kinds(kinds: &[rnix::SyntaxKind]) -> String {
    let mut names: Vec<String> = kinds.iter().map(|k| describe_kind(*k)).collect();
    names.dedup();
    match names.len() {
        0 => "something else".into(),
        1 => names.remove(0),
        _ => {
            let last = names.pop().unwrap_or_default();
            format!("{} or {last}", names.join(", "))
        }
    }
}

pub(crate) fn describe_kind(kind: rnix::SyntaxKind) -> String {
    use rnix::SyntaxKind as K;
    let text = match kind {
        K::TOKEN_SEMICOLON => "`;`",
        K::TOKEN_ASSIGN => "`=`",
        K::TOKEN_L_BRACE => "`{`",
        K::TOKEN_R_BRACE => "`}`",
        K::TOKEN_L_BRACK => "`[`",
        K::TOKEN_R_BRACK => "`]`",
        K::TOKEN_L_PAREN => "`(`",
        K::TOKEN_R_PAREN => "`)`",
        K::TOKEN_COLON => "`:`",
        K::TOKEN_COMMA => "`,`",
        K::TOKEN_DOT => "`.`",
        K::TOKEN_IN => "`in`",
        K::TOKEN_THEN => "`then`",
        K::TOKEN_ELSE => "`else`",
        K::TOKEN_IDENT | K::NODE_IDENT => "a name",
        K::TOKEN_STRING_END => "the end of the string",
        K::TOKEN_INTERPOL_END => "`}` closing the interpolation",
        K::TOKEN_ERROR => "an invalid character",
        K::NODE_ATTRPATH => "an attribute name",
        _ => return "an expression".into(),
    };
    text.into()
}

/// Clamps a span whose start is past the end of its file (end-of-file errors) to the end.
pub fn clamp_span(sources: &SourceMap, span: Span) -> Span {
    let len = sources.text(span.file).len() as u32;
    Span {
        file: span.file,
        start: span.start.min(len),
        end: span.end.min(len),
    }
}
