//! POSIX extended regular expressions as Nix 2.8 runs them (`std::regex::extended` over bytes),
//! translated to the syntax of the `regex-automata` crate and matched over bytes.
//!
//! What is kept exactly: the syntax Nix accepts and refuses (only `\` before a special
//! character is an escape, so `\d`, `\n`, `\/` and `(?:…)` are invalid; `]` and `}` are
//! literals outside brackets; `\` is a literal inside brackets; stacked quantifiers such as
//! `a*?` repeat the repetition instead of making it lazy), byte semantics (`.` matches one
//! byte, newline included, and `é*` repeats only the last byte of `é`), whole-string anchoring
//! for `match`, and `std::regex_iterator`'s treatment of empty matches for `split`.
//!
//! A match is POSIX's: the leftmost, and of those the longest (`a|ab` on `"abc"` matches `ab`),
//! found with a lazy DFA that keeps every match. Its groups are libstdc++'s, which are not
//! POSIX's subexpression rule: of the ways to match that extent, the first in the pattern's
//! order (left alternatives first, greedy repetition), which is the `regex` engines'
//! leftmost-first order on a search bounded to the extent (`(a|ab)(bc|c)` on `abc` gives `a`,
//! `bc`). Equivalence classes `[=a=]` and collating elements `[.a.]` are refused.

use regex_automata::hybrid::dfa::{Cache as DfaCache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::captures::Captures;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, meta};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A compiled POSIX expression: the three automata that together give POSIX's answers.
pub(crate) struct Posix {
    /// Leftmost-first, unanchored: where the leftmost match starts (the same in both semantics).
    search: meta::Regex,
    /// All matches, no preference: from an anchored start, the end of the longest match.
    longest: DFA,
    cache: RefCell<DfaCache>,
    /// `(?:R)\z`, with `$` as written (`[0]`) or never matching (`[1]`, for an extent that
    /// ends before the string does): the groups of a match whose extent is known.
    bounded: [meta::Regex; 2],
}

/// The groups of one match: the whole match first, then each group (`None`: did not take part).
pub(crate) type Groups = Vec<Option<(usize, usize)>>;

impl Posix {
    /// The groups of a match of the whole of `hay`, if it matches (as `std::regex_match`).
    pub(crate) fn whole(&self, hay: &[u8]) -> Option<Groups> {
        self.groups(hay, 0, hay.len())
    }

    /// The POSIX match found searching from `start`: leftmost, then longest.
    pub(crate) fn find_at(&self, hay: &[u8], start: usize) -> Option<Groups> {
        let m = self.search.find(Input::new(hay).range(start..))?;
        let end = self.longest_at(hay, m.start())?;
        self.groups(hay, m.start(), end)
    }

    /// The end of the longest match starting exactly at `at`.
    pub(crate) fn longest_at(&self, hay: &[u8], at: usize) -> Option<usize> {
        let input = Input::new(hay).range(at..).anchored(Anchored::Yes);
        let mut cache = self.cache.borrow_mut();
        self.longest
            .try_search_fwd(&mut cache, &input)
            .ok()
            .flatten()
            .map(|h| h.offset())
    }

    /// The groups of the match spanning exactly `start..end`, if there is one.
    fn groups(&self, hay: &[u8], start: usize, end: usize) -> Option<Groups> {
        let re = &self.bounded[usize::from(end < hay.len())];
        let mut caps: Captures = re.create_captures();
        let input = Input::new(&hay[..end])
            .range(start..end)
            .anchored(Anchored::Yes);
        re.search_captures(&input, &mut caps);
        if !caps.is_match() {
            return None;
        }
        Some(
            (0..caps.group_len())
                .map(|i| caps.get_group(i).map(|s| (s.start, s.end)))
                .collect(),
        )
    }
}

type Cache = HashMap<String, Result<Rc<Posix>, ()>>;

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(HashMap::new());
}

const CACHE_SIZE: usize = 256;

/// The compiled form of the POSIX ERE `pattern`; `Err` when Nix would call it an invalid
/// regular expression.
pub(crate) fn compile(pattern: &str) -> Result<Rc<Posix>, ()> {
    if let Some(r) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return r;
    }
    let compiled = build(pattern).map(Rc::new);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_SIZE {
            c.clear();
        }
        c.insert(pattern.to_string(), compiled.clone());
    });
    compiled
}

fn build(pattern: &str) -> Result<Posix, ()> {
    let syntax = syntax::Config::new()
        .unicode(false)
        .utf8(false)
        .dot_matches_new_line(true);
    let meta = |p: &str| {
        meta::Builder::new()
            .configure(meta::Config::new().utf8_empty(false))
            .syntax(syntax)
            .build(p)
            .map_err(|_| ())
    };
    let plain = translate(pattern, false)?;
    let never_end = translate(pattern, true)?;
    let longest = DFA::builder()
        .configure(DFA::config().match_kind(MatchKind::All))
        .syntax(syntax)
        .thompson(thompson::Config::new().utf8(false))
        .build(&plain)
        .map_err(|_| ())?;
    let cache = RefCell::new(longest.create_cache());
    Ok(Posix {
        search: meta(&plain)?,
        longest,
        cache,
        bounded: [
            meta(&format!(r"(?:{plain})\z"))?,
            meta(&format!(r"(?:{never_end})\z"))?,
        ],
    })
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
fn translate(pattern: &str, never_end: bool) -> Result<String, ()> {
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
            b'$' if never_end => {
                out.push_str(r"[^\x00-\xFF]");
                atom = None;
                after_quantifier = false;
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

    fn is_match(pattern: &str, text: &[u8]) -> Option<bool> {
        compile(pattern).ok().map(|r| r.whole(text).is_some())
    }

    fn texts(hay: &[u8], groups: &super::Groups) -> Vec<Option<String>> {
        groups
            .iter()
            .map(|g| g.map(|(s, e)| String::from_utf8_lossy(&hay[s..e]).into_owned()))
            .collect()
    }

    #[test]
    fn posix_syntax() {
        assert_eq!(is_match(r"a\.b", b"a.b"), Some(true));
        assert_eq!(is_match(r"\d", b"1"), None);
        assert_eq!(is_match("(?:a)", b"a"), None);
        assert_eq!(is_match("[]a]+", b"]a"), Some(true));
        assert_eq!(is_match(r"[\n]+", b"\\n"), Some(true));
        assert_eq!(is_match("a*?", b"aa"), Some(true));
        assert_eq!(is_match("a{,2}", b"a"), None);
        assert_eq!(is_match("x{2,3}", b"xxx"), Some(true));
        assert_eq!(is_match("[[:digit:]]+", b"12"), Some(true));
        assert_eq!(is_match("a]}", b"a]}"), Some(true));
        assert_eq!(is_match("a$", b"a"), Some(true));
        assert_eq!(is_match("a$b", b"ab"), Some(false));
    }

    #[test]
    fn bytes_not_characters() {
        assert_eq!(is_match("..", "é".as_bytes()), Some(true));
        assert_eq!(is_match("[^a]", "é".as_bytes()), Some(false));
        assert_eq!(is_match("é*", b"\xC3\xA9\xA9"), Some(true));
        assert_eq!(is_match("é*", "éé".as_bytes()), Some(false));
        assert_eq!(is_match("a.b", b"a\nb"), Some(true));
    }

    #[test]
    fn leftmost_longest() {
        let r = compile("a|ab").expect("valid");
        let g = r.find_at(b"abc", 0).expect("a match");
        assert_eq!(texts(b"abc", &g), [Some("ab".to_string())]);
        let r = compile("a?(ab)?").expect("valid");
        let g = r.find_at(b"ab", 0).expect("a match");
        assert_eq!(g[0], Some((0, 2)));
        // `$` only matches at the real end, even when the match's extent is shorter.
        let r = compile("b|b$").expect("valid");
        assert_eq!(r.find_at(b"bb", 0).expect("a match")[0], Some((0, 1)));
        assert_eq!(r.find_at(b"bb", 1).expect("a match")[0], Some((1, 2)));
    }
}
