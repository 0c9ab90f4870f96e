//! Text edits of `migrate`: an edit replaces a byte range of a source file, [`splice`] applies
//! the edits inside a range, and the line helpers find what belongs to a binding's lines
//! (its indentation, the comments above it and after it, a blank line before it).
//!
//! Guarantees: every helper works on byte offsets of the original text and never panics (an
//! offset outside the text or inside a character gives an empty slice); [`reindent`] never
//! changes the content of a string; overlapping edits are skipped, not merged (the read-back
//! check refuses what that breaks).

use rnix::SyntaxKind;

#[derive(Clone, Debug)]
pub(super) struct Edit {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) text: String,
}

/// `text[start..end]` with the edits that lie inside the range applied.
pub(super) fn splice(text: &str, start: usize, end: usize, edits: &[Edit]) -> String {
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

pub(super) fn line_start(text: &str, pos: usize) -> usize {
    text.get(..pos)
        .and_then(|t| t.rfind('\n'))
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// The leading whitespace of the line holding `pos`.
pub(super) fn indent_at(text: &str, pos: usize) -> &str {
    let start = line_start(text, pos);
    let line = text.get(start..).unwrap_or("");
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..n]
}

/// Nothing but whitespace before `pos` on its line.
pub(super) fn own_line(text: &str, pos: usize) -> bool {
    text.get(line_start(text, pos)..pos)
        .is_some_and(|t| t.chars().all(|c| c == ' ' || c == '\t'))
}

/// After `end`: optional spaces, an optional `#` comment, then the end of the line. Returns the
/// position after the newline and the comment.
pub(super) fn rest_of_line(text: &str, end: usize) -> Option<(usize, Option<String>)> {
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
pub(super) fn comments_above(text: &str, pos: usize) -> (usize, Vec<String>) {
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
pub(super) fn blank_above(text: &str, start: usize) -> bool {
    if start == 0 {
        return false;
    }
    let prev = line_start(text, start - 1);
    text.get(prev..start).is_some_and(|l| l.trim().is_empty())
}

/// Every line of `text` ends with CR LF.
pub(super) fn crlf(text: &str) -> bool {
    text.contains("\r\n") && !text.replace("\r\n", "").contains('\n')
}

/// `text` with every lone LF made CR LF (for files written with CR LF throughout).
pub(super) fn with_crlf(text: &str) -> String {
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
pub(super) fn reindent(text: &str, shift: isize, node: Option<&rnix::SyntaxNode>) -> String {
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
}
