//! Writing Nix: attribute names, strings, numbers, paths and whole data trees, laid out the way
//! nixfmt lays them out (two-space indent, one binding per line, `{ }` and `[ ]` when empty,
//! lists of several items one per line), so formatting the output again changes nothing.
//!
//! Everything written is escaped: no string from the inventory can end a string or start an
//! interpolation, and no name can be read as anything but a name.

use crate::read::data::{Data, DataKind, OverrideStyle};
use std::fmt::Write;
use std::path::{Component, Path};

const KEYWORDS: [&str; 10] = [
    "assert", "else", "if", "in", "inherit", "let", "or", "rec", "then", "with",
];

/// An attribute name as written in Nix: bare when it is an identifier, quoted otherwise.
pub fn attr_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    push_attr_name(&mut out, name);
    out
}

/// Appends [`attr_name`]`(name)` to `out`.
pub fn push_attr_name(out: &mut String, name: &str) {
    let mut chars = name.chars();
    let bare = match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {
            chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '\'' || c == '-')
        }
        _ => false,
    };
    if bare && !KEYWORDS.contains(&name) {
        out.push_str(name);
    } else {
        push_string(out, name);
    }
}

/// A double-quoted Nix string holding exactly `s`.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_string(&mut out, s);
    out
}

/// Appends [`string`]`(s)` to `out`, copying the runs between escapes whole.
pub fn push_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            b'$' if bytes.get(i + 1) == Some(&b'{') => "\\$",
            _ => continue,
        };
        // Every escaped byte is ASCII, so these are character boundaries.
        out.push_str(&s[start..i]);
        out.push_str(escaped);
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

pub fn int(i: i64) -> String {
    if i == i64::MIN {
        // The literal 9223372036854775808 does not exist in Nix.
        "(-9223372036854775807 - 1)".into()
    } else {
        i.to_string()
    }
}

/// A float literal Nix reads back as the same value (Nix needs a `.` before any exponent).
pub fn float(f: f64) -> String {
    let mut s = format!("{f:?}");
    if let Some(e) = s.find('e')
        && !s[..e].contains('.')
    {
        s.insert_str(e, ".0");
    }
    if !s.contains('.') && !s.contains('e') {
        s.push_str(".0");
    }
    s
}

/// A path relative to `from_dir` (the directory of the file being written).
pub fn path(target: &Path, from_dir: &Path) -> String {
    let relative = relative_path(target, from_dir);
    let text = relative.to_string_lossy().to_string();
    let literal_ok = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '/'))
        && !text.ends_with('/');
    if literal_ok {
        if text.starts_with("..") {
            text
        } else if text.is_empty() {
            "./.".into()
        } else {
            format!("./{text}")
        }
    } else {
        format!("(./. + {})", string(&format!("/{text}")))
    }
}

fn relative_path(target: &Path, from_dir: &Path) -> std::path::PathBuf {
    let t: Vec<Component> = target.components().collect();
    let f: Vec<Component> = from_dir.components().collect();
    let common = t.iter().zip(&f).take_while(|(a, b)| a == b).count();
    let mut out = std::path::PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// Writes `data` as a Nix expression at the given indentation (the current line is already
/// indented). `from_dir` is where relative paths are relative to.
pub fn write_data(out: &mut String, data: &Data, indent: usize, from_dir: &Path) {
    match &data.kind {
        DataKind::Null => out.push_str("null"),
        DataKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        DataKind::Int(i) => out.push_str(&int(*i)),
        DataKind::Float(f) => out.push_str(&float(*f)),
        DataKind::Str(s) => push_string(out, s),
        DataKind::Path(p) => out.push_str(&path(p, from_dir)),
        DataKind::Verbatim(text) => {
            let text = crate::read::data::fill_path_holes(text, |p| path(p, from_dir));
            write_verbatim(out, &text, indent)
        }
        DataKind::List(items) => {
            if items.is_empty() {
                out.push_str("[ ]");
            } else if items.len() == 1 && is_simple(&items[0]) {
                out.push_str("[ ");
                write_item(out, &items[0], indent, from_dir);
                out.push_str(" ]");
            } else {
                out.push_str("[\n");
                for item in items {
                    pad(out, indent + 2);
                    write_item(out, item, indent + 2, from_dir);
                    out.push('\n');
                }
                pad(out, indent);
                out.push(']');
            }
        }
        DataKind::Attrs(entries) => {
            if entries.is_empty() {
                out.push_str("{ }");
            } else {
                out.push_str("{\n");
                for (key, entry) in entries {
                    pad(out, indent + 2);
                    push_attr_name(out, key);
                    out.push_str(" = ");
                    write_data(out, &entry.value, indent + 2, from_dir);
                    out.push_str(";\n");
                }
                pad(out, indent);
                out.push('}');
            }
        }
        DataKind::Override {
            priority,
            style,
            content,
        } => {
            match style {
                OverrideStyle::Force => out.push_str("lib.mkForce "),
                OverrideStyle::Default => out.push_str("lib.mkDefault "),
                OverrideStyle::Override => {
                    // `lib.mkOverride -5 x` would be a subtraction.
                    let priority = match int(*priority) {
                        p if p.starts_with('-') => format!("({p})"),
                        p => p,
                    };
                    let _ = write!(out, "lib.mkOverride {priority} ");
                }
            }
            write_argument(out, content, indent, from_dir);
        }
    }
}

/// A list item or function argument: negative numbers and applications need parentheses.
fn write_item(out: &mut String, data: &Data, indent: usize, from_dir: &Path) {
    write_argument(out, data, indent, from_dir);
}

fn write_argument(out: &mut String, data: &Data, indent: usize, from_dir: &Path) {
    let needs_parens = match &data.kind {
        DataKind::Int(i) => *i < 0,
        DataKind::Float(f) => f.is_sign_negative(),
        DataKind::Override { .. } | DataKind::Verbatim(_) => true,
        _ => false,
    };
    if needs_parens {
        out.push('(');
        write_data(out, data, indent, from_dir);
        out.push(')');
    } else {
        write_data(out, data, indent, from_dir);
    }
}

fn is_simple(d: &Data) -> bool {
    match &d.kind {
        DataKind::List(items) => items.is_empty(),
        DataKind::Attrs(entries) => entries.is_empty(),
        DataKind::Override { .. } | DataKind::Verbatim(_) => false,
        _ => true,
    }
}

/// Source text of a closed expression, re-indented to the current depth when that cannot change
/// what it means: only spaces and tabs between tokens move, and a text with a line break inside
/// a string (where indentation is content) is written exactly as it was read.
fn write_verbatim(out: &mut String, text: &str, indent: usize) {
    if !reindentable(text) {
        out.push_str(text);
        return;
    }
    let leading = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    let blank = |l: &str| leading(l) == l.len();
    let mut lines = text.lines();
    if let Some(first) = lines.next() {
        out.push_str(first);
    }
    let rest: Vec<&str> = lines.collect();
    let common = rest
        .iter()
        .filter(|l| !blank(l))
        .map(|l| leading(l))
        .min()
        .unwrap_or(0);
    // The closing line of a block sits at the block's own indentation.
    let base = rest
        .last()
        .map(|l| leading(l))
        .unwrap_or(common)
        .min(common);
    for line in rest {
        out.push('\n');
        if !blank(line) {
            pad(out, indent);
            out.push_str(&line[base.min(leading(line))..]);
        }
    }
}

/// True when no line break of `text` lies inside a string literal, so moving whitespace at the
/// start of its lines only moves whitespace between tokens.
fn reindentable(text: &str) -> bool {
    let parse = rnix::Root::parse(text);
    parse.errors().is_empty()
        && parse
            .syntax()
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .all(|t| {
                t.kind() != rnix::SyntaxKind::TOKEN_STRING_CONTENT
                    || !t.text().contains(['\n', '\r'])
            })
}

pub fn pad(out: &mut String, n: usize) {
    const SPACES: &str = "                                ";
    let mut n = n;
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_when_needed() {
        assert_eq!(attr_name("jon"), "jon");
        assert_eq!(attr_name("a-b_c'"), "a-b_c'");
        assert_eq!(attr_name("1x"), "\"1x\"");
        assert_eq!(attr_name("in"), "\"in\"");
        assert_eq!(attr_name("a.b"), "\"a.b\"");
        assert_eq!(attr_name(""), "\"\"");
        assert_eq!(attr_name("${x}"), "\"\\${x}\"");
    }

    #[test]
    fn strings_escape_everything_that_could_escape() {
        assert_eq!(string("a\"b\\c${d}$e\n"), r#""a\"b\\c\${d}$e\n""#);
    }

    fn verbatim(text: &str) -> String {
        let mut out = String::new();
        write_verbatim(&mut out, text, 4);
        out
    }

    #[test]
    fn verbatim_text_is_reindented_only_outside_strings() {
        assert_eq!(verbatim("{\n      a = 1;\n    }"), "{\n      a = 1;\n    }");
        assert_eq!(verbatim("{\n  a = 1;\n}"), "{\n      a = 1;\n    }");
        // A line break inside a string: indentation there is content.
        for text in [
            "{\n  a = \"x\ny\";\n}",
            "{\n  a = ''\n    x\n          \n    y\n  '';\n}",
            "{\r\n  a = \"x\r\ny\";\r\n}",
        ] {
            assert_eq!(verbatim(text), text);
        }
        // Non-ASCII white space in a comment is neither measured nor cut.
        assert_eq!(
            verbatim("{ /* a\n\u{a0}b */\n x = 1; }"),
            "{ /* a\n    \u{a0}b */\n     x = 1; }"
        );
    }

    #[test]
    fn a_negative_priority_is_an_argument_not_a_subtraction() {
        use crate::diagnostics::{FileId, Span};
        let span = Span {
            file: FileId(0),
            start: 0,
            end: 0,
        };
        let wrapped = |priority| {
            let data = Data::new(
                DataKind::Override {
                    priority,
                    style: OverrideStyle::Override,
                    content: Box::new(Data::new(DataKind::Null, span)),
                },
                span,
            );
            let mut out = String::new();
            write_data(&mut out, &data, 0, Path::new("/"));
            out
        };
        assert_eq!(wrapped(10), "lib.mkOverride 10 null");
        assert_eq!(wrapped(-2), "lib.mkOverride (-2) null");
        assert_eq!(
            wrapped(i64::MIN),
            "lib.mkOverride (-9223372036854775807 - 1) null"
        );
    }

    #[test]
    fn floats_always_have_a_dot() {
        assert_eq!(float(1.0), "1.0");
        assert_eq!(float(1e100), "1.0e100");
        assert_eq!(float(0.1), "0.1");
        assert_eq!(float(1.5e-7), "1.5e-7");
    }

    #[test]
    fn paths_are_relative_to_the_writing_file() {
        assert_eq!(
            path(
                Path::new("/f/services/mesh"),
                Path::new("/f/generated/inventory/instances")
            ),
            "../../../services/mesh"
        );
        assert_eq!(
            path(Path::new("/f/a b.nix"), Path::new("/f")),
            "(./. + \"/a b.nix\")"
        );
        assert_eq!(path(Path::new("/f/x.nix"), Path::new("/f")), "./x.nix");
    }
}
