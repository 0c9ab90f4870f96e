//! `toJSON` and `fromJSON`, as Nix 2.8 has them.
//!
//! `toJSON` forces the whole value and writes it as Nix does: keys sorted, no spaces, floats
//! with six significant digits (C's `%g`), control characters as `\u00XX`, other characters
//! as they are; a set with `__toString` or `outPath` is that string or value. A path would be
//! copied to the store by Nix, so its JSON cannot be known statically; a function is an error.
//! `fromJSON` is the reader's strict JSON parser (see `read::json`), with positions kept when
//! the text is a whole file of the flake.

use super::super::Evaluator;
use super::super::errors::{not_static, type_error};
use super::super::value::*;
use super::BuiltinDef;
use super::support::*;
use crate::diagnostics::{Diagnostic, Span};
use crate::read::json;

pub static JSON: &[BuiltinDef] = defs![("toJSON", 1, to_json), ("fromJSON", 1, from_json)];

fn to_json(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let v = ev.force(&args[0])?;
    let mut out = String::new();
    want!(write(ev, &v, span, &mut out));
    val(V::Str(out.into()), span)
}

fn write(ev: &mut Evaluator, v: &Val, span: Span, out: &mut String) -> Got<()> {
    nested(ev, span, |ev| write_inner(ev, v, span, out))
}

fn write_inner(ev: &mut Evaluator, v: &Val, span: Span, out: &mut String) -> Got<()> {
    match &v.v {
        V::Null => out.push_str("null"),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Int(i) => out.push_str(&i.to_string()),
        V::Float(f) => out.push_str(&format_g(*f)),
        V::Str(s) => write_string(s, out),
        V::Path(_) => {
            return Err(not_static(
                v.span,
                "the JSON of a path (Nix copies it to the store)",
            ));
        }
        V::List(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                let item = ev.force(item)?;
                if let Err(o) = write(ev, &item, span, out)? {
                    return Ok(Err(o));
                }
            }
            out.push(']');
        }
        V::Attrs(_) | V::Override { .. } => {
            let map = as_attrs(v).unwrap_or_default();
            if map.contains_key("__toString") {
                let s = match coerce(ev, v, Coerce::Copy, span)? {
                    Ok(s) => s,
                    Err(o) => return Ok(Err(o)),
                };
                write_string(&s, out);
                return Ok(Ok(()));
            }
            if let Some(b) = map.get("outPath") {
                let inner = ev.force(&b.thunk)?;
                return write(ev, &inner, span, out);
            }
            out.push('{');
            for (n, (k, b)) in map.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                let item = ev.force(&b.thunk)?;
                if let Err(o) = write(ev, &item, span, out)? {
                    return Ok(Err(o));
                }
            }
            out.push('}');
        }
        V::Lambda(_) | V::Builtin(..) => {
            return Err(eval_error(v.span, "cannot convert a function to JSON"));
        }
        V::Opaque(_) => return Ok(Err(ev.opaque_at(v, span))),
    }
    Ok(Ok(()))
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// C's `printf("%g", x)`: six significant digits, trailing zeros removed, scientific notation
/// below 1e-4 and from 1e6.
pub(crate) fn format_g(x: f64) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{x:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    } else {
        trim(&format!("{x:.*}", (5 - exp) as usize))
    }
}

pub(crate) fn from_json(ev: &mut Evaluator, args: &[Thunk], span: Span) -> Result<Val, Diagnostic> {
    let text = ev.force(&args[0])?;
    match &text.v {
        V::Str(s) => {
            // A string read straight from a file keeps that file's positions.
            let file = text.span.file;
            let whole_file = text.span.start == 0
                && text.span.end as usize == ev.sources.text(file).len()
                && &**s == ev.sources.text(file);
            let data = if whole_file {
                json::parse(ev.sources.text(file), file)
            } else {
                json::parse_at(s, text.span)
            }?;
            Ok(super::super::data_to_val(data))
        }
        V::Opaque(_) => Ok(ev.opaque_at(&text, span)),
        _ => Err(type_error(text.span, "a string", &text)),
    }
}

#[cfg(test)]
mod tests {
    use super::format_g;

    #[test]
    fn floats_print_as_c_printf_g() {
        let cases = [
            (0.1, "0.1"),
            (1.0, "1"),
            (1e20, "1e+20"),
            (123456789.0, "1.23457e+08"),
            (1.5e-5, "1.5e-05"),
            (0.000123456789, "0.000123457"),
            (123456.7, "123457"),
            (1234567.0, "1.23457e+06"),
            (999999.5, "1e+06"),
            (-2.5, "-2.5"),
        ];
        for (x, want) in cases {
            assert_eq!(format_g(x), want, "{x}");
        }
    }
}
