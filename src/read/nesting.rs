//! A linear pre-scan of Nix source that refuses shapes rnix cannot parse in linear time.
//!
//! rnix's tokenizer looks ahead over the whole run of path characters (`[A-Za-z0-9_.+-]`) at
//! every token that starts inside such a run, so `1+1+1…` or `a.a.a…` costs the square of the
//! run's length; its parser slows down the same way with nesting tens of thousands deep (lists,
//! parentheses, `!` chains, long application and operator chains). A 200 KB file could take
//! minutes. This scan reads each byte once, skipping strings and comments as Nix's lexer does,
//! and stops at the first place where a limit is passed, so that any input up to the size limit
//! is read or refused within seconds. The limits are far above anything hand-written: 1,000
//! levels of brackets or interpolations, 1,000 terms in one chain of operators or function
//! applications, and a budget for the lookahead over runs of path characters (each token that
//! starts inside a run costs the rest of the run) that real code uses a thousandth of.

use crate::diagnostics::{Diagnostic, FileId, Kind, Span};

/// What rnix's lookahead over runs of path characters may cost in a file: the sum, over tokens
/// that start inside a run, of the run's remaining length. About 3 ns each.
pub const RUN_BUDGET: u64 = 200_000_000;
/// The deepest nesting of `(`, `[`, `{` and `${`.
pub const MAX_DEPTH: usize = 1000;
/// The most terms (operands and operators) in one chain between separators.
pub const MAX_CHAIN: usize = 1000;

#[derive(Clone, Copy, PartialEq)]
enum Frame {
    /// `(`, `{`, `${` in code, or the top level.
    Code,
    /// `[`: items are separate terms, not a chain.
    List,
    /// `"…"`; `${` inside opens a code frame.
    Str,
    /// `''…''`.
    IndStr,
}

/// Checks `text` (the file `file`); `Err` names the place where a limit is first passed.
pub fn check(text: &str, file: FileId) -> Result<(), Diagnostic> {
    let bytes = text.as_bytes();
    let refuse = |at: usize, what: String, hint: &str| {
        let end = (at + 1).min(bytes.len());
        Err(Diagnostic::at(
            Kind::Syntax,
            Span {
                file,
                start: at as u32,
                end: end as u32,
            },
            what,
        )
        .with_label("the limit is passed here")
        .with_hint(hint.to_string()))
    };
    // Each frame remembers the chain length of the frame below it.
    let mut frames: Vec<(Frame, usize)> = vec![(Frame::Code, 0)];
    let mut chain = 0usize;
    let mut run = 0usize;
    let mut run_starts = 0u64;
    let mut run_cost = 0u64;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let frame = frames.last().map(|f| f.0).unwrap_or(Frame::Code);
        match frame {
            Frame::Str => {
                match b {
                    b'\\' => i += 1,
                    b'"' => {
                        frames.pop();
                        chain = frames.last().map(|f| f.1).unwrap_or(0);
                    }
                    b'$' if bytes.get(i + 1) == Some(&b'{') => {
                        frames.push((Frame::Code, 0));
                        chain = 0;
                        i += 1;
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            Frame::IndStr => {
                if bytes[i..].starts_with(b"''") {
                    // `''$`, `'''` and `''\x` are escapes; `''` alone ends the string.
                    match bytes.get(i + 2) {
                        Some(b'$' | b'\'') => i += 3,
                        Some(b'\\') => i += 4,
                        _ => {
                            frames.pop();
                            chain = frames.last().map(|f| f.1).unwrap_or(0);
                            i += 2;
                        }
                    }
                    continue;
                }
                if bytes[i..].starts_with(b"${") {
                    frames.push((Frame::Code, 0));
                    chain = 0;
                    i += 2;
                    continue;
                }
                i += 1;
                continue;
            }
            Frame::Code | Frame::List => {}
        }
        let path_char = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-');
        if path_char {
            run += 1;
            // A token starts inside the run at its first character, at `.` and `+`, and at a
            // `-` that cannot continue an identifier; each one rescans the rest of the run.
            let previous = if run > 1 { bytes[i - 1] } else { b' ' };
            let token_start = run == 1
                || matches!(b, b'.' | b'+')
                || matches!(previous, b'.' | b'+')
                || (b == b'-' && (previous.is_ascii_digit() || previous == b'-'));
            if token_start {
                run_starts += 1;
            }
            // Every token started so far in this run is charged for this character too.
            run_cost += run_starts;
            if run_cost > RUN_BUDGET {
                return refuse(
                    i,
                    "too many operators and names run together without spaces (`a.a.a…`, `1+1+1…`, `----1`)".to_string(),
                    "no inventory needs this; put spaces around operators or split the expression",
                );
            }
        } else {
            run = 0;
            run_starts = 0;
        }
        // A new term starts where a token starts: after whitespace, or at any character that
        // is not the continuation of a run.
        let starts_term = !b.is_ascii_whitespace() && (!path_char || run == 1);
        let mut opened = None;
        match b {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                run = 0;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                match text[i + 2..].find("*/") {
                    Some(end) => i += end + 4,
                    None => i = bytes.len(),
                }
                run = 0;
                continue;
            }
            b'"' => opened = Some((Frame::Str, 1)),
            b'\'' if bytes.get(i + 1) == Some(&b'\'') => opened = Some((Frame::IndStr, 2)),
            b'$' if bytes.get(i + 1) == Some(&b'{') => opened = Some((Frame::Code, 2)),
            b'(' | b'{' => opened = Some((Frame::Code, 1)),
            b'[' => opened = Some((Frame::List, 1)),
            b')' | b'}' | b']' => {
                if frames.len() > 1 {
                    frames.pop();
                }
                chain = frames.last().map(|f| f.1).unwrap_or(0);
                i += 1;
                continue;
            }
            b';' | b',' | b'=' | b':' | b'?' | b'@' => {
                chain = 0;
                i += 1;
                continue;
            }
            _ => {}
        }
        if starts_term && frame == Frame::Code {
            chain += 1;
            if chain > MAX_CHAIN {
                return refuse(
                    i,
                    format!(
                        "the expression is too long to parse: more than {MAX_CHAIN} operators and operands in one chain"
                    ),
                    "split the expression into named `let` bindings",
                );
            }
        }
        if let Some((kind, width)) = opened {
            if frames.len() > MAX_DEPTH {
                return refuse(
                    i,
                    format!(
                        "the file is nested too deeply to parse: brackets, strings and interpolations more than {MAX_DEPTH} deep"
                    ),
                    "no inventory nests this deep; split the expression into named `let` bindings",
                );
            }
            frames.push((kind, chain));
            chain = 0;
            run = 0;
            i += width;
            continue;
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> bool {
        check(text, FileId(0)).is_ok()
    }

    #[test]
    fn ordinary_nix_passes() {
        assert!(ok(
            r#"{ a = [ 1 2 (f x y) ]; b = "x${y}z"; c = ''a ''${b} ${c}''; }"#
        ));
        assert!(ok(&format!("[ {} ]", "1 ".repeat(100_000))));
        assert!(ok(&format!("\"{}\"", "a.".repeat(10_000))));
        assert!(ok(&format!("# {}\n1", "a.".repeat(10_000))));
        assert!(ok(&format!("/* {} */ 1", "a.".repeat(10_000))));
        assert!(ok(&"{ a = 1; }\n".repeat(20_000).replace("}\n{", "} // {")));
        let long_name = format!("{{ {} = 1; }}", "a-".repeat(5_000));
        assert!(ok(&long_name));
    }

    #[test]
    fn absurd_shapes_are_refused_where_the_limit_is_passed() {
        let cases = [
            format!("{}{}", "[".repeat(2000), "]".repeat(2000)),
            format!("{}1{}", "(".repeat(2000), ")".repeat(2000)),
            format!("1{}", "+1".repeat(20_000)),
            format!("a{}", ".a".repeat(20_000)),
            format!("{}1", "-".repeat(20_000)),
            format!("{}true", "! ".repeat(2000)),
            format!("f{}", " f".repeat(2000)),
            format!("\"{}\"", "${\"".repeat(2000)),
        ];
        for case in &cases {
            let d = check(case, FileId(0)).expect_err(&case[..20]);
            let span = d.span.expect("a place");
            assert!((span.start as usize) < case.len(), "{}", &case[..20]);
        }
    }
}
