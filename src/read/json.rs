//! JSON files (`inventory.json`, `builtins.fromJSON (builtins.readFile ./x.json)`) read into the
//! spanned data tree, with the semantics of Nix's `builtins.fromJSON`: integers that fit in 64
//! bits are integers, other numbers are floats, and strict JSON only (no comments, no trailing
//! commas). Every value keeps its byte range in the file.

use super::data::{Data, DataKind, Entry};
use crate::diagnostics::{Diagnostic, FileId, Kind, Span};
use jsonc_parser::ast::{ObjectPropName, Value};
use std::collections::BTreeMap;

fn options() -> jsonc_parser::ParseOptions {
    jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Parses a whole JSON file.
pub fn parse(text: &str, file: FileId) -> Result<Data, Diagnostic> {
    let at = |start: usize, end: usize| Span {
        file,
        start: start as u32,
        end: end as u32,
    };
    parse_with(text, &at)
}

/// Parses JSON that is not a file of its own (a string in Nix): every span is the string's.
pub fn parse_at(text: &str, span: Span) -> Result<Data, Diagnostic> {
    parse_with(text, &|_, _| span)
}

fn parse_with(text: &str, at: &dyn Fn(usize, usize) -> Span) -> Result<Data, Diagnostic> {
    // Nix's `fromJSON` skips a byte order mark; positions still count it.
    let (text, at): (&str, &dyn Fn(usize, usize) -> Span) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, &move |start, end| at(start + 3, end + 3)),
        None => (text, at),
    };
    let collect = jsonc_parser::CollectOptions::default();
    match jsonc_parser::parse_to_ast(text, &collect, &options()) {
        Ok(result) => match result.value {
            Some(value) => convert(&value, at),
            None => Err(Diagnostic::at(
                Kind::Syntax,
                at(0, 0),
                "the JSON document is empty",
            )),
        },
        Err(e) => {
            let range = e.range();
            Err(Diagnostic::at(
                Kind::Syntax,
                at(range.start, range.end),
                format!("invalid JSON: {}", e.kind()),
            )
            .with_label("here"))
        }
    }
}

fn convert(value: &Value, at: &dyn Fn(usize, usize) -> Span) -> Result<Data, Diagnostic> {
    let (kind, range) = match value {
        Value::NullKeyword(n) => (DataKind::Null, n.range),
        Value::BooleanLit(b) => (DataKind::Bool(b.value), b.range),
        Value::StringLit(s) => {
            no_nul(&s.value, at(s.range.start, s.range.end))?;
            (DataKind::Str(s.value.to_string()), s.range)
        }
        Value::NumberLit(n) => {
            let kind = match n.value.parse::<i64>() {
                Ok(i) => DataKind::Int(i),
                Err(_) => match n.value.parse::<f64>() {
                    Ok(f) if f.is_finite() => DataKind::Float(f),
                    _ => {
                        return Err(Diagnostic::at(
                            Kind::Syntax,
                            at(n.range.start, n.range.end),
                            format!("the number {} is out of range", n.value),
                        ));
                    }
                },
            };
            (kind, n.range)
        }
        Value::Array(a) => {
            let items = a
                .elements
                .iter()
                .map(|v| convert(v, at))
                .collect::<Result<Vec<_>, _>>()?;
            (DataKind::List(items), a.range)
        }
        Value::Object(o) => {
            let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
            for prop in &o.properties {
                let (name, range) = match &prop.name {
                    ObjectPropName::String(s) => (s.value.to_string(), s.range),
                    ObjectPropName::Word(w) => (w.value.to_string(), w.range),
                };
                let key_span = at(range.start, range.end);
                no_nul(&name, key_span)?;
                let value = convert(&prop.value, at)?;
                if let Some(first) = entries.get(&name) {
                    return Err(Diagnostic::at(
                        Kind::Duplicate,
                        key_span,
                        format!("key \"{name}\" appears twice in this JSON object"),
                    )
                    .with_label("again here")
                    .with_note(first.key_span, "first here"));
                }
                entries.insert(name, Entry { key_span, value });
            }
            (DataKind::Attrs(entries), o.range)
        }
    };
    Ok(Data {
        kind,
        span: at(range.start, range.end),
    })
}

/// Nix strings end at a NUL character (its `fromJSON` silently cuts them there), so a string
/// holding one cannot be carried into Nix unchanged.
fn no_nul(text: &str, span: Span) -> Result<(), Diagnostic> {
    if text.contains('\0') {
        return Err(Diagnostic::at(
            Kind::Syntax,
            span,
            "this JSON string holds a NUL character (\\u0000), which Nix strings cannot",
        )
        .with_label("here")
        .with_hint("remove the \\u0000 escape"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_nix_from_json() {
        let d = parse(
            r#"{"a": 1, "b": 1.5, "c": 1e3, "d": -9223372036854775808}"#,
            FileId(0),
        )
        .expect("valid");
        let a = d.as_attrs().expect("object");
        assert_eq!(a["a"].value.kind, DataKind::Int(1));
        assert_eq!(a["b"].value.kind, DataKind::Float(1.5));
        assert_eq!(a["c"].value.kind, DataKind::Float(1000.0));
        assert_eq!(a["d"].value.kind, DataKind::Int(i64::MIN));
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "{\n  \"machines\": {\"jon\": {}}\n}";
        let d = parse(text, FileId(0)).expect("valid");
        let machines = &d.as_attrs().expect("object")["machines"];
        assert_eq!(
            &text[machines.key_span.start as usize..machines.key_span.end as usize],
            "\"machines\""
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped_like_nix_does() {
        let text = "\u{feff}{\"a\": 1}";
        let d = parse(text, FileId(0)).expect("valid");
        let a = &d.as_attrs().expect("object")["a"];
        assert_eq!(
            &text[a.key_span.start as usize..a.key_span.end as usize],
            "\"a\""
        );
    }

    #[test]
    fn rejects_comments_trailing_commas_and_duplicates() {
        assert!(parse("{\"a\": 1,}", FileId(0)).is_err());
        assert!(parse("{\"a\": 1 /* x */}", FileId(0)).is_err());
        let dup = parse("{\"a\": 1, \"a\": 2}", FileId(0)).unwrap_err();
        assert_eq!(dup.kind, Kind::Duplicate);
        assert_eq!(dup.notes.len(), 1);
    }
}
