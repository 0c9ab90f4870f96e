//! Applying the edits to the files: every accepted instance of every file is rendered, the
//! bindings that sat in `services` containers are lifted beside them as `instances`
//! bindings with the comments above and after them, and containers left empty disappear.
//!
//! Guarantees: bytes outside the rewritten ranges are kept; comments of a container that did
//! not move with a binding stay, before or after the lifted bindings as they were; a file
//! written with CR LF stays CR LF; when any instance is refused, nothing is returned to write.

use super::check::Info;
use super::edit::Rewriter;
use super::find::{Contribution, attrset, find_all, range};
use super::text::{
    Edit, blank_above, comments_above, crlf, indent_at, line_start, own_line, reindent,
    rest_of_line, splice, with_crlf,
};
use super::{FileChange, Key};
use crate::lower::Inventory;
use crate::read::Flake;
use rnix::SyntaxKind;
use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub(super) struct Rewrite {
    pub(super) files: BTreeMap<PathBuf, FileChange>,
    pub(super) migrated: BTreeSet<Key>,
    pub(super) refused: BTreeMap<Key, (String, String)>,
}

/// A binding taken out of a `services` container, with its new text.
pub(super) type Lifted<'a> = (&'a Contribution, Vec<String>);

/// Rewrites every accepted instance in every file that defines legacy services.
pub(super) fn rewrite_all(
    flake: &Flake,
    inventory: &Inventory,
    accepted: &BTreeMap<&Key, &Info>,
) -> Rewrite {
    let mut result = Rewrite {
        files: BTreeMap::new(),
        migrated: BTreeSet::new(),
        refused: BTreeMap::new(),
    };
    let parsed = find_all(flake, inventory, accepted, &mut result.refused);
    result.refused.retain(|k, _| accepted.contains_key(k));
    if !result.refused.is_empty() {
        return result;
    }

    // Pass 2: rewrite.
    let mut given_module: BTreeSet<Key> = BTreeSet::new();
    for p in &parsed {
        let path = flake.sources.path(p.file).to_path_buf();
        let text = flake.sources.text(p.file);
        let mut rw = Rewriter {
            text,
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            root: &flake.root,
            edits: Vec::new(),
        };
        let mut outer: Vec<Edit> = Vec::new();
        // Bindings in containers, grouped by their outermost container.
        let mut groups: BTreeMap<(usize, usize), Vec<Lifted>> = BTreeMap::new();
        let mut migrated_here = BTreeSet::new();
        for c in &p.contributions {
            let Some(info) = accepted.get(&c.key) else {
                continue;
            };
            let first = !given_module.contains(&c.key);
            let texts = match rw.render(c, info, first) {
                Ok(t) => t,
                Err(reason) => {
                    result.refused.insert(
                        c.key.clone(),
                        (
                            reason,
                            "write it out plainly (attribute sets, lists of strings), or migrate it by hand".into(),
                        ),
                    );
                    continue;
                }
            };
            given_module.insert(c.key.clone());
            migrated_here.insert(c.key.clone());
            let (bs, be) = range(c.binding.syntax());
            rw.drop_within(bs, be);
            match c.chain.first() {
                None => {
                    if texts.is_empty() {
                        let end = rest_of_line(text, be)
                            .filter(|_| own_line(text, bs))
                            .map(|(e, _)| e);
                        outer.push(Edit {
                            start: if end.is_some() {
                                line_start(text, bs)
                            } else {
                                bs
                            },
                            end: end.unwrap_or(be),
                            text: String::new(),
                        });
                    } else {
                        let sep = if own_line(text, bs) {
                            format!("\n{}", indent_at(text, bs))
                        } else {
                            " ".into()
                        };
                        outer.push(Edit {
                            start: bs,
                            end: be,
                            text: texts.join(&sep),
                        });
                    }
                }
                Some(c0) => {
                    groups
                        .entry(range(c0.syntax()))
                        .or_default()
                        .push((c, texts));
                }
            }
        }
        for ((c0s, c0e), members) in groups {
            outer.push(lift(text, c0s, c0e, &members));
        }
        if outer.is_empty() {
            continue;
        }
        let mut new = splice(text, 0, text.len(), &outer);
        if crlf(text) {
            new = with_crlf(&new);
        }
        result.migrated.extend(migrated_here);
        result.files.insert(
            path,
            FileChange {
                display: flake.sources.name(p.file).to_string(),
                old: text.to_string(),
                new,
            },
        );
    }
    if !result.refused.is_empty() {
        result.files.clear();
        result.migrated.clear();
    }
    result
}

/// The replacement of a `services` container `c0` from which `members` are lifted into
/// `instances` bindings beside it. An emptied container disappears; its other comments stay.
pub(super) fn lift(text: &str, c0s: usize, c0e: usize, members: &[Lifted]) -> Edit {
    let own = own_line(text, c0s);
    let indent = indent_at(text, c0s).to_string();
    let mut removals: Vec<Edit> = Vec::new();
    let mut lifted: Vec<String> = Vec::new();
    let mut removed_ranges: Vec<(usize, usize)> = Vec::new();
    for (i, (c, texts)) in members.iter().enumerate() {
        let (bs, be) = range(c.binding.syntax());
        let alone = own_line(text, bs);
        let rest = rest_of_line(text, be).filter(|_| alone);
        let (above_start, above) = if alone {
            comments_above(text, bs)
        } else {
            (bs, Vec::new())
        };
        let start = if rest.is_some() { above_start } else { bs };
        let end = rest.as_ref().map(|(e, _)| *e).unwrap_or(be);
        let start = if rest.is_some() {
            line_start(text, start)
        } else {
            start
        };
        removals.push(Edit {
            start,
            end,
            text: String::new(),
        });
        removed_ranges.push((start, end));
        let shift = if own && alone {
            indent.len() as isize - indent_at(text, bs).len() as isize
        } else {
            0
        };
        let node = c.binding.value().map(|v| v.syntax().clone());
        let mut block: Vec<String> = above;
        for t in texts {
            block.push(reindent(t, shift, node.as_ref()));
        }
        if let Some((_, Some(comment))) = &rest
            && let Some(last) = block.last_mut()
        {
            last.push(' ');
            last.push_str(comment);
        }
        // A blank line above the binding (or above the module's container it was the first
        // binding of) is kept between lifted bindings.
        let container_start = c
            .chain
            .get(1)
            .map(|k| range(k.syntax()).0)
            .filter(|k| own_line(text, *k) && comments_above(text, *k).0 <= start)
            .map(|k| line_start(text, comments_above(text, k).0));
        let blank =
            blank_above(text, start) || container_start.is_some_and(|k| blank_above(text, k));
        if i > 0 && alone && blank {
            lifted.push(String::new());
        }
        lifted.extend(block);
    }
    // Which containers are left empty?
    let removed = |b: &ast::AttrpathValue, removed_ranges: &[(usize, usize)]| {
        let (s, e) = range(b.syntax());
        removed_ranges.iter().any(|(rs, re)| *rs <= s && e <= *re)
    };
    let mut emptied: Vec<(usize, usize)> = Vec::new();
    // Every container of the group, innermost first.
    let mut containers: Vec<(usize, ast::AttrpathValue)> = Vec::new();
    for (c, _) in members {
        for (depth, container) in c.chain.iter().enumerate() {
            if !containers
                .iter()
                .any(|(_, k)| k.syntax() == container.syntax())
            {
                containers.push((depth, container.clone()));
            }
        }
    }
    containers.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
    for (_, container) in &containers {
        let Some(set) = container.value().as_ref().and_then(attrset) else {
            continue;
        };
        let mut all = true;
        for e in set.entries() {
            let gone = match &e {
                ast::Entry::AttrpathValue(b) => {
                    removed(b, &removed_ranges) || emptied.contains(&range(b.syntax()))
                }
                ast::Entry::Inherit(_) => false,
            };
            all &= gone;
        }
        if all {
            emptied.push(range(container.syntax()));
        }
    }
    let c0_emptied = emptied.contains(&(c0s, c0e));
    let rest = rest_of_line(text, c0e).filter(|_| own);
    let (start, end) = match &rest {
        Some((e, _)) => (line_start(text, c0s), *e),
        None => (c0s, c0e),
    };
    let mut out_lines: Vec<String> = Vec::new();
    if c0_emptied {
        // Comments of the container that did not move with a binding stay where they were
        // relative to the lifted bindings: before them, or after.
        let first = removed_ranges.iter().map(|(s, _)| *s).min().unwrap_or(c0s);
        let mut after: Vec<String> = Vec::new();
        let root = members[0].0.chain[0].syntax().clone();
        for t in root
            .descendants_with_tokens()
            .filter_map(|t| t.into_token())
        {
            if t.kind() != SyntaxKind::TOKEN_COMMENT {
                continue;
            }
            let p = usize::from(t.text_range().start());
            if p < c0s || p >= c0e || removed_ranges.iter().any(|(s, e)| *s <= p && p < *e) {
                continue;
            }
            if p < first {
                out_lines.push(t.text().to_string());
            } else {
                after.push(t.text().to_string());
            }
        }
        if let Some((_, Some(comment))) = &rest {
            after.push(comment.clone());
        }
        out_lines.extend(lifted);
        out_lines.extend(after);
        let text = if own {
            let mut s = String::new();
            for line in out_lines {
                if !line.is_empty() {
                    s.push_str(&indent);
                    s.push_str(&line);
                }
                s.push('\n');
            }
            s
        } else {
            out_lines.join(" ")
        };
        return Edit { start, end, text };
    }
    // Nested containers that were emptied go as a whole.
    for (s, e) in &emptied {
        let alone = own_line(text, *s);
        let rest = rest_of_line(text, *e).filter(|_| alone);
        let (rs, re) = match rest {
            Some((re, _)) => (line_start(text, *s), re),
            None => (*s, *e),
        };
        removals.retain(|r| !(rs <= r.start && r.end <= re));
        removals.push(Edit {
            start: rs,
            end: re,
            text: String::new(),
        });
    }
    let kept = splice(text, start, end, &removals);
    let text = if own {
        let mut s = String::new();
        for line in lifted {
            if !line.is_empty() {
                s.push_str(&indent);
                s.push_str(&line);
            }
            s.push('\n');
        }
        s.push_str(&kept);
        s
    } else {
        let mut parts = lifted;
        parts.push(kept);
        parts.join(" ")
    };
    Edit { start, end, text }
}
