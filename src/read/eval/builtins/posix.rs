//! POSIX extended regular expressions as Nix 2.8 runs them (`std::regex::extended` over bytes),
//! translated to the `regex` crate's syntax and matched over bytes.
//!
//! What is kept exactly: the syntax Nix accepts and refuses (only `\` before a special
//! character is an escape, so `\d`, `\n`, `\/` and `(?:…)` are invalid; `]` and `}` are
//! literals outside brackets; `\` is a literal inside brackets; stacked quantifiers such as
//! `a*?` repeat the repetition instead of making it lazy), byte semantics (`.` matches one
//! byte, newline included, and `é*` repeats only the last byte of `é`), whole-string anchoring
//! for `match`, and `std::regex_iterator`'s treatment of empty matches for `split`.
//!
//! One known difference: POSIX picks the *longest* match among those starting leftmost, the
//! `regex` crate the first by alternation order. They differ only for an alternation whose
//! earlier branch matches a prefix of a later one (`a|ab` on `"abc"`: Nix's `split` matches
//! `ab`, the reader's `a`); with `match` the whole string must match, so only which groups
//! capture can differ. Equivalence classes `[=a=]` and collating elements `[.a.]` are refused.

use regex::bytes::{Regex, RegexBuilder};
use std::cell::RefCell;
use std::collections::HashMap;

/// Compiled expressions, keyed by (pattern, whole-string anchoring); bounded.
type Cache = HashMap<(String, bool), Result<Regex, ()>>;

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(HashMap::new());
}

const CACHE_SIZE: usize = 256;

/// The compiled form of the POSIX ERE `pattern`; `whole` anchors it at both ends. `Err` when
/// Nix would call it an invalid regular expression.
pub(crate) fn compile(pattern: &str, whole: bool) -> Result<Regex, ()> {
    let key = (pattern.to_string(), whole);
    if let Some(r) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return r;
    }
    let compiled = translate(pattern).and_then(|p| {
        let p = if whole { format!(r"\A(?:{p})\z") } else { p };
        RegexBuilder::new(&p)
            .unicode(false)
            .dot_matches_new_line(true)
            .build()
            .map_err(|_| ())
    });
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_SIZE {
            c.clear();
        }
        c.insert(key, compiled.clone());
    });
    compiled
}

const SPECIAL: &[u8] = b".[]\\*^$+?(){}|";

fn byte(out: &mut String, b: u8) {
    if b.is_ascii_alphanumeric() || b == b' ' || b == b'_' {
        out.push(b as char);
    } else {
        out.push_str(&format!("\\x{b:02X}"));
    }
}

/// Translates a POSIX ERE into the `regex` crate's syntax (bytes, Unicode off).
fn translate(pattern: &str) -> Result<String, ()> {
    let p = pattern.as_bytes();
    let mut out = String::new();
    // Start (in `out`) of the last atom, for wrapping stacked quantifiers.
    let mut atom: Option<usize> = None;
    let mut after_quantifier = false;
    let mut groups: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < p.len() {
        let c = p[i];
        let start = out.len();
        match c {
            b'\\' => {
                let next = *p.get(i + 1).ok_or(())?;
                if !SPECIAL.contains(&next) {
                    return Err(());
                }
                byte(&mut out, next);
                i += 2;
                atom = Some(start);
                after_quantifier = false;
                continue;
            }
            b'[' => {
                i = bracket(p, i, &mut out)?;
                atom = Some(start);
                after_quantifier = false;
                continue;
            }
            b'(' => {
                if p.get(i + 1) == Some(&b'?') {
                    return Err(());
                }
                groups.push(start);
                out.push('(');
                atom = None;
                after_quantifier = false;
            }
            b')' => {
                let open = groups.pop().ok_or(())?;
                out.push(')');
                atom = Some(open);
                after_quantifier = false;
            }
            b'*' | b'+' | b'?' | b'{' => {
                let quantifier = if c == b'{' {
                    let end = p[i..].iter().position(|&b| b == b'}').ok_or(())? + i;
                    let inner = std::str::from_utf8(&p[i + 1..end]).map_err(|_| ())?;
                    let (lo, hi) = match inner.split_once(',') {
                        Some((lo, hi)) => (lo, Some(hi)),
                        None => (inner, None),
                    };
                    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
                    if !digits(lo) || hi.is_some_and(|h| !h.is_empty() && !digits(h)) {
                        return Err(());
                    }
                    let q = format!("{{{inner}}}");
                    i = end;
                    q
                } else {
                    (c as char).to_string()
                };
                let a = atom.ok_or(())?;
                if after_quantifier {
                    out.insert_str(a, "(?:");
                    out.push(')');
                }
                out.push_str(&quantifier);
                after_quantifier = true;
            }
            b'|' | b'^' | b'$' => {
                out.push(c as char);
                atom = None;
                after_quantifier = false;
            }
            b'.' => {
                out.push('.');
                atom = Some(start);
                after_quantifier = false;
            }
            _ => {
                byte(&mut out, c);
                atom = Some(start);
                after_quantifier = false;
            }
        }
        i += 1;
    }
    if !groups.is_empty() {
        return Err(());
    }
    Ok(out)
}

/// Translates the bracket expression starting at `p[i] == '['`; returns the index after it.
fn bracket(p: &[u8], mut i: usize, out: &mut String) -> Result<usize, ()> {
    i += 1;
    out.push('[');
    if p.get(i) == Some(&b'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let c = *p.get(i).ok_or(())?;
        match c {
            b']' if !first => {
                out.push(']');
                return Ok(i + 1);
            }
            b'[' if p.get(i + 1) == Some(&b':') => {
                let rest = &p[i + 2..];
                let end = rest.windows(2).position(|w| w == b":]").ok_or(())?;
                let name = std::str::from_utf8(&rest[..end]).map_err(|_| ())?;
                out.push_str(&format!("[:{name}:]"));
                i += 2 + end + 2;
            }
            b'[' if matches!(p.get(i + 1), Some(b'=' | b'.')) => return Err(()),
            b'-' if !first && p.get(i + 1) != Some(&b']') => {
                out.push('-');
                i += 1;
            }
            _ => {
                byte(out, c);
                i += 1;
            }
        }
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::compile;

    fn is_match(pattern: &str, text: &str) -> Option<bool> {
        compile(pattern, true)
            .ok()
            .map(|r| r.is_match(text.as_bytes()))
    }

    #[test]
    fn posix_syntax() {
        assert_eq!(is_match(r"a\.b", "a.b"), Some(true));
        assert_eq!(is_match(r"\d", "1"), None);
        assert_eq!(is_match("(?:a)", "a"), None);
        assert_eq!(is_match("[]a]+", "]a"), Some(true));
        assert_eq!(is_match(r"[\n]+", "\\n"), Some(true));
        assert_eq!(is_match("a*?", "aa"), Some(true));
        assert_eq!(is_match("a{,2}", "a"), None);
        assert_eq!(is_match("x{2,3}", "xxx"), Some(true));
        assert_eq!(is_match("[[:digit:]]+", "12"), Some(true));
        assert_eq!(is_match("a]}", "a]}"), Some(true));
    }

    #[test]
    fn bytes_not_characters() {
        assert_eq!(is_match("..", "é"), Some(true));
        assert_eq!(is_match("[^a]", "é"), Some(false));
        let r = compile("é*", true).expect("valid");
        assert!(
            r.is_match(b"\xC3\xA9\xA9"),
            "the star repeats the last byte"
        );
        assert!(!r.is_match("éé".as_bytes()));
        assert_eq!(is_match("a.b", "a\nb"), Some(true));
    }

    #[test]
    fn known_difference_leftmost_first() {
        // POSIX (Nix) takes the longest match `ab`; the regex crate the first branch `a`.
        let r = compile("a|ab", false).expect("valid");
        let m = r.find(b"abc").expect("a match");
        assert_eq!(m.as_bytes(), b"a");
    }
}
