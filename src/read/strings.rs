//! Nix's string rules, reproduced exactly: escapes of `"…"` strings (with CR/LF normalisation)
//! and the lexing and indentation stripping of `''…''` strings, as Nix's own lexer and parser
//! do them. rnix hands us the raw text between interpolations; these functions turn it into
//! the characters Nix would produce.

/// One piece of a string after lexing: literal text, or an interpolation (by index).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Interpolation(usize),
}

/// Unescapes the raw text of a `"…"` string piece: `\n`, `\r`, `\t`, `\` + any character, and
/// CR or CR LF normalised to LF.
pub fn unescape_plain(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            },
            '\r' => {
                out.push('\n');
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// A token of an indented string as Nix's lexer produces it.
struct IndToken {
    text: String,
    /// Plain indented text (counts for indentation); escapes and lone `$`/`'` do not.
    has_indentation: bool,
}

/// Splits the raw text of one `''…''` piece into Nix's lexer tokens.
fn lex_indented(raw: &str, out: &mut Vec<Option<IndToken>>) {
    let bytes = raw.as_bytes();
    let mut i = 0;
    let mut plain = String::new();
    let flush = |plain: &mut String, out: &mut Vec<Option<IndToken>>| {
        if !plain.is_empty() {
            out.push(Some(IndToken {
                text: std::mem::take(plain),
                has_indentation: true,
            }));
        }
    };
    while i < bytes.len() {
        let rest = &raw[i..];
        if rest.starts_with("''$") {
            flush(&mut plain, out);
            out.push(Some(IndToken {
                text: "$".into(),
                has_indentation: false,
            }));
            i += 3;
        } else if rest.starts_with("'''") {
            flush(&mut plain, out);
            out.push(Some(IndToken {
                text: "''".into(),
                has_indentation: false,
            }));
            i += 3;
        } else if let Some(after) = rest.strip_prefix("''\\") {
            flush(&mut plain, out);
            let escaped = after.chars().next();
            let (text, len) = match escaped {
                Some(c) => (unescape_plain(&format!("\\{c}")), 3 + c.len_utf8()),
                None => (String::new(), 3),
            };
            out.push(Some(IndToken {
                text,
                has_indentation: false,
            }));
            i += len;
        } else if rest.starts_with('$') && !rest[1..].starts_with(['{', '\'']) && rest.len() > 1 {
            // `$` followed by anything but `{` or `'` is plain text, both characters.
            let next = rest[1..].chars().next().map(char::len_utf8).unwrap_or(0);
            plain.push_str(&rest[..1 + next]);
            i += 1 + next;
        } else if rest.starts_with('$') {
            flush(&mut plain, out);
            out.push(Some(IndToken {
                text: "$".into(),
                has_indentation: false,
            }));
            i += 1;
        } else if rest.starts_with('\'') && rest.len() > 1 && !rest[1..].starts_with(['\'', '$']) {
            let next = rest[1..].chars().next().map(char::len_utf8).unwrap_or(0);
            plain.push_str(&rest[..1 + next]);
            i += 1 + next;
        } else if rest.starts_with('\'') {
            flush(&mut plain, out);
            out.push(Some(IndToken {
                text: "'".into(),
                has_indentation: false,
            }));
            i += 1;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            plain.push(c);
            i += c.len_utf8();
        }
    }
    flush(&mut plain, out);
}

/// Strips indentation from an indented string given as raw text pieces separated by
/// interpolations (`None` in `raw_parts` marks an interpolation), exactly as Nix does.
pub fn strip_indentation(raw_parts: &[Option<&str>]) -> Vec<Piece> {
    let mut tokens: Vec<Option<IndToken>> = Vec::new();
    for part in raw_parts {
        match part {
            Some(raw) => lex_indented(raw, &mut tokens),
            None => tokens.push(None),
        }
    }
    // The opening `''` swallows spaces and one newline after it.
    if let Some(Some(first)) = tokens.first_mut()
        && first.has_indentation
        && let Some(p) = first.text.find('\n')
        && first.text[..p].chars().all(|c| c == ' ')
    {
        first.text.drain(..=p);
    }
    tokens.retain(|t| {
        t.as_ref()
            .is_none_or(|t| !t.text.is_empty() || !t.has_indentation)
    });

    let mut at_start_of_line = true;
    let mut min_indent = usize::MAX;
    let mut cur_indent = 0;
    for token in &tokens {
        match token {
            Some(t) if t.has_indentation => {
                for c in t.text.chars() {
                    if at_start_of_line {
                        if c == ' ' {
                            cur_indent += 1;
                        } else if c == '\n' {
                            cur_indent = 0;
                        } else {
                            at_start_of_line = false;
                            min_indent = min_indent.min(cur_indent);
                        }
                    } else if c == '\n' {
                        at_start_of_line = true;
                        cur_indent = 0;
                    }
                }
            }
            _ => {
                if at_start_of_line {
                    at_start_of_line = false;
                    min_indent = min_indent.min(cur_indent);
                }
            }
        }
    }

    let mut pieces = Vec::new();
    at_start_of_line = true;
    let mut cur_dropped = 0;
    let mut interpolations = 0usize..;
    let count = tokens.len();
    for (index, token) in tokens.iter().enumerate() {
        let Some(t) = token else {
            at_start_of_line = false;
            cur_dropped = 0;
            pieces.push(Piece::Interpolation(interpolations.next().unwrap_or(0)));
            continue;
        };
        let mut s = String::with_capacity(t.text.len());
        for c in t.text.chars() {
            if at_start_of_line {
                if c == ' ' {
                    if cur_dropped >= min_indent {
                        s.push(c);
                    }
                    cur_dropped += 1;
                } else if c == '\n' {
                    cur_dropped = 0;
                    s.push(c);
                } else {
                    at_start_of_line = false;
                    cur_dropped = 0;
                    s.push(c);
                }
            } else {
                s.push(c);
                if c == '\n' {
                    at_start_of_line = true;
                }
            }
        }
        if index + 1 == count
            && let Some(p) = s.rfind('\n')
            && s[p + 1..].chars().all(|c| c == ' ')
        {
            s.truncate(p + 1);
        }
        pieces.push(Piece::Text(s));
    }
    pieces
}

/// Concatenates pieces that are all text (no interpolation).
pub fn join_text(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.as_str(),
            Piece::Interpolation(_) => "",
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ind(raw: &str) -> String {
        join_text(&strip_indentation(&[Some(raw)]))
    }

    #[test]
    fn plain_escapes() {
        assert_eq!(unescape_plain(r#"a\nb\t\"\\\$\{x\q"#), "a\nb\t\"\\${xq");
        assert_eq!(unescape_plain("a\r\nb\rc"), "a\nb\nc");
    }

    #[test]
    fn indentation_is_stripped_like_nix() {
        assert_eq!(ind("\n    a\n      b\n  "), "a\n  b\n");
        assert_eq!(ind("  \n  x\n\n  y"), "x\n\ny");
        assert_eq!(ind("a\n  b"), "a\n  b");
        assert_eq!(ind("\n\tx\n"), "\tx\n");
    }

    #[test]
    fn indented_escapes() {
        assert_eq!(ind("''${x}"), "${x}");
        assert_eq!(ind("a'''b"), "a''b");
        assert_eq!(ind("''\\n"), "\n");
        assert_eq!(ind("$$ a"), "$$ a");
        assert_eq!(ind("it's"), "it's");
    }

    #[test]
    fn interpolation_counts_as_content_at_line_start() {
        let pieces = strip_indentation(&[Some("\n    a\n  "), None, Some("\n")]);
        assert_eq!(
            pieces,
            vec![
                Piece::Text("  a\n".into()),
                Piece::Interpolation(0),
                Piece::Text("\n".into())
            ]
        );
    }
}
