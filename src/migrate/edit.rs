//! Planning the edits of one legacy instance: each field of its bindings is either kept in
//! place with renamed attributes and rewritten values (`roles.<r>.config` → `settings`,
//! machine lists → attribute sets, extra-module strings → paths), or relocated to the place
//! `instances` want it (`config` → `roles.<r>.settings`, `machines.<m>.config` →
//! `roles.<r>.machines.<m>.settings`), and the instance gains `module.name`/`module.input`.
//!
//! Guarantees: edits replace tokens, so comments and layout inside a kept value stay; a form
//! the rules do not cover is an `Err` with the reason (the instance is then refused), never a
//! guess.

use super::check::Info;
use super::find::{Contribution, attrset, bindings, names_of, plain_string, range};
use super::text::{Edit, indent_at, line_start, own_line, rest_of_line, splice};
use crate::emit::nix::{attr_name, string};
use rnix::SyntaxKind;
use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where a relocated value comes from: the source text of this range, with the edits inside.
pub(super) enum Source {
    Range(usize, usize),
}

pub(super) enum Field {
    /// Kept in place; attributes at these indices of the path are renamed.
    InPlace(Vec<(usize, &'static str)>),
    /// Replaced by these bindings (paths relative to the instance).
    Relocated(Vec<(String, Source)>),
}

pub(super) struct Rewriter<'a> {
    pub(super) text: &'a str,
    /// The directory of the file being rewritten.
    pub(super) dir: PathBuf,
    pub(super) root: &'a Path,
    /// Edits inside instance bindings; consumed when the binding's new text is made.
    pub(super) edits: Vec<Edit>,
}

impl Rewriter<'_> {
    pub(super) fn source(&self, src: &Source) -> String {
        let Source::Range(s, e) = src;
        splice(self.text, *s, *e, &self.edits)
    }

    pub(super) fn drop_within(&mut self, start: usize, end: usize) {
        self.edits.retain(|e| !(start <= e.start && e.end <= end));
    }

    /// `[ "a" "b" ]` → `{ a = { }; b = { }; }`, token by token: a role's `machines`, or its
    /// `tags` (whose duplicates are dropped: clan-core applied `unique` to them).
    pub(super) fn names_list(&mut self, value: &ast::Expr, field: &str) -> Result<(), String> {
        let ast::Expr::List(list) = value else {
            return Err(format!("a role's `{field}` is not written as a list"));
        };
        let (Some(open), Some(close)) = (list.l_brack_token(), list.r_brack_token()) else {
            return Err(format!("a role's `{field}` is not a complete list"));
        };
        let mut seen = BTreeSet::new();
        let mut items = Vec::new();
        for item in list.items() {
            let name = match &item {
                ast::Expr::Str(s) => plain_string(s),
                _ => None,
            }
            .ok_or_else(|| format!("a role's `{field}` has an entry that is not a plain string"))?;
            let (s, e) = range(item.syntax());
            if !seen.insert(name.clone()) {
                if field == "tags" {
                    items.push(self.drop_item(s, e));
                    continue;
                }
                return Err(format!("a role's `{field}` lists `{name}` twice"));
            }
            items.push(Edit {
                start: s,
                end: e,
                text: format!("{} = {{ }};", attr_name(&name)),
            });
        }
        let o = open.text_range();
        let c = close.text_range();
        self.edits.push(Edit {
            start: o.start().into(),
            end: o.end().into(),
            text: "{".into(),
        });
        self.edits.extend(items);
        self.edits.push(Edit {
            start: c.start().into(),
            end: c.end().into(),
            text: "}".into(),
        });
        Ok(())
    }

    /// The edit that removes the list item at `s..e`: its line when it is alone there, up to a
    /// comment after it (which stays, at the item's place), or just the item.
    fn drop_item(&self, s: usize, e: usize) -> Edit {
        let rest = self.text.get(e..).unwrap_or("");
        let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        if own_line(self.text, s) {
            if let Some((end, None)) = rest_of_line(self.text, e) {
                return Edit {
                    start: line_start(self.text, s),
                    end,
                    text: String::new(),
                };
            }
            if rest[spaces..].starts_with('#') {
                return Edit {
                    start: s,
                    end: e + spaces,
                    text: String::new(),
                };
            }
        }
        let before = self.text.get(..s).unwrap_or("");
        Edit {
            start: before.trim_end_matches([' ', '\t']).len(),
            end: e,
            text: String::new(),
        }
    }

    /// Strings in an `extraModules` list become path literals (they named files relative to the
    /// flake).
    pub(super) fn extra_list(&mut self, value: &ast::Expr) -> Result<(), String> {
        let ast::Expr::List(list) = value else {
            // Not literal: no string can be rewritten; the read-back check compares the result.
            return Ok(());
        };
        for item in list.items() {
            let ast::Expr::Str(s) = &item else { continue };
            let name =
                plain_string(s).ok_or("an `extraModules` entry is a string with interpolation")?;
            let target = crate::read::eval::normalize(&self.root.join(&name));
            if name.starts_with('/') || !target.starts_with(self.root) {
                return Err(format!(
                    "the `extraModules` entry \"{name}\" is not a file in the flake"
                ));
            }
            let (start, end) = range(item.syntax());
            self.edits.push(Edit {
                start,
                end,
                text: crate::emit::nix::path(&target, &self.dir),
            });
        }
        Ok(())
    }

    /// Inside `roles`: `rel` is the path relative to `roles`.
    pub(super) fn roles_value(
        &mut self,
        info: &Info,
        rel: &[String],
        value: &ast::Expr,
    ) -> Result<(), String> {
        if rel.len() < 2 {
            let set = attrset(value).ok_or("its `roles` are not written as attribute sets")?;
            for b in bindings(&set)? {
                let names =
                    names_of(&b).ok_or("a role has an attribute name that is not static")?;
                let depth = rel.len();
                let mut full: Vec<String> = rel.to_vec();
                full.extend(names.iter().map(|(n, _)| n.clone()));
                if depth <= 1 && full.len() >= 2 && full[1] == "config" {
                    let (s, e) = range(names[1 - depth].1.syntax());
                    self.edits.push(Edit {
                        start: s,
                        end: e,
                        text: "settings".into(),
                    });
                }
                let value = b.value().ok_or("a binding has no value")?;
                self.roles_value(info, &full, &value)?;
            }
            return Ok(());
        }
        match (rel[1].as_str(), rel.len()) {
            ("machines", 2) => self.names_list(value, "machines"),
            // clan-core's guide writes tags as attribute sets too (clan-core takes both).
            ("tags", 2) if info.builtin => self.names_list(value, "tags"),
            ("extraModules", 2) => self.extra_list(value),
            ("tags" | "config", _) => Ok(()),
            (other, _) => Err(format!("`roles.<role>.{other}` cannot be migrated")),
        }
    }

    /// Inside `machines`: `rel` is the path relative to `machines`, with attribute texts.
    pub(super) fn machines_value(
        &mut self,
        info: &Info,
        rel: &[(String, String)],
        value: &ast::Expr,
    ) -> Result<Vec<(String, Source)>, String> {
        if rel.len() < 2 {
            let set = attrset(value).ok_or("its `machines` are not written as attribute sets")?;
            let mut out = Vec::new();
            for b in bindings(&set)? {
                let names =
                    names_of(&b).ok_or("a machine has an attribute name that is not static")?;
                let mut full = rel.to_vec();
                full.extend(
                    names
                        .iter()
                        .map(|(n, a)| (n.clone(), a.syntax().text().to_string())),
                );
                let value = b.value().ok_or("a binding has no value")?;
                out.extend(self.machines_value(info, &full, &value)?);
            }
            return Ok(out);
        }
        let m = &rel[0].0;
        match rel[1].0.as_str() {
            "config" => {
                let roles = info
                    .machine_roles
                    .get(m)
                    .ok_or_else(|| format!("`machines.{}.config` reaches no role", attr_name(m)))?;
                let rest: String = rel[2..].iter().map(|(_, t)| format!(".{t}")).collect();
                let (s, e) = range(value.syntax());
                Ok(roles
                    .iter()
                    .map(|role| {
                        (
                            format!(
                                "roles.{}.machines.{}.settings{rest}",
                                attr_name(role),
                                attr_name(m)
                            ),
                            Source::Range(s, e),
                        )
                    })
                    .collect())
            }
            "extraModules" => match value {
                ast::Expr::List(l) if l.items().next().is_none() => Ok(Vec::new()),
                _ => Err(format!(
                    "`machines.{}.extraModules` has no equivalent",
                    attr_name(m)
                )),
            },
            other => Err(format!("`machines.<machine>.{other}` cannot be migrated")),
        }
    }

    /// A field of the instance: `names` is its path relative to the instance.
    pub(super) fn field(
        &mut self,
        info: &Info,
        names: &[(String, ast::Attr)],
        value: &ast::Expr,
    ) -> Result<Field, String> {
        if names.is_empty() {
            return Err("a binding has no attribute name".into());
        }
        let plain: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
        let texts: Vec<String> = names
            .iter()
            .map(|(_, a)| a.syntax().text().to_string())
            .collect();
        let (s, e) = range(value.syntax());
        match plain[0].as_str() {
            "roles" => {
                self.roles_value(info, &plain[1..], value)?;
                let renames = if plain.len() > 2 && plain[2] == "config" {
                    vec![(2, "settings")]
                } else {
                    Vec::new()
                };
                Ok(Field::InPlace(renames))
            }
            "config" => {
                let rest: String = texts[1..].iter().map(|t| format!(".{t}")).collect();
                Ok(Field::Relocated(
                    info.roles
                        .iter()
                        .map(|r| {
                            (
                                format!("roles.{}.settings{rest}", attr_name(r)),
                                Source::Range(s, e),
                            )
                        })
                        .collect(),
                ))
            }
            "machines" => {
                let rel: Vec<(String, String)> = plain[1..]
                    .iter()
                    .cloned()
                    .zip(texts[1..].iter().cloned())
                    .collect();
                Ok(Field::Relocated(self.machines_value(info, &rel, value)?))
            }
            "extraModules" if plain.len() == 1 => {
                self.extra_list(value)?;
                Ok(Field::Relocated(
                    info.roles
                        .iter()
                        .map(|r| {
                            (
                                format!("roles.{}.extraModules", attr_name(r)),
                                Source::Range(s, e),
                            )
                        })
                        .collect(),
                ))
            }
            "enabled" if plain.len() == 1 && value.syntax().text() == "true" => {
                Ok(Field::Relocated(Vec::new()))
            }
            other => Err(format!("`{other}` cannot be migrated as it is written")),
        }
    }

    /// The instance's attribute set, rewritten in place (edits pushed).
    pub(super) fn body(
        &mut self,
        info: &Info,
        set: &ast::AttrSet,
        first: bool,
    ) -> Result<(), String> {
        for b in bindings(set)? {
            let names = names_of(&b).ok_or("an attribute name is not static")?;
            let value = b.value().ok_or("a binding has no value")?;
            let (bs, be) = range(b.syntax());
            match self.field(info, &names, &value)? {
                Field::InPlace(renames) => {
                    for (i, new) in renames {
                        let (s, e) = range(names[i].1.syntax());
                        self.edits.push(Edit {
                            start: s,
                            end: e,
                            text: new.to_string(),
                        });
                    }
                }
                Field::Relocated(list) => {
                    let copied: Vec<(usize, usize)> = list
                        .iter()
                        .map(|(_, Source::Range(s, e))| (*s, *e))
                        .collect();
                    let mut lines: Vec<String> = b
                        .syntax()
                        .descendants_with_tokens()
                        .filter_map(|t| t.into_token())
                        .filter(|t| t.kind() == SyntaxKind::TOKEN_COMMENT)
                        .filter(|t| {
                            let p = usize::from(t.text_range().start());
                            !copied.iter().any(|(s, e)| *s <= p && p < *e)
                        })
                        .map(|t| t.text().to_string())
                        .collect();
                    for (rel, src) in &list {
                        lines.push(format!("{rel} = {};", self.source(src)));
                    }
                    self.drop_within(bs, be);
                    if lines.is_empty() {
                        let end = rest_of_line(self.text, be)
                            .filter(|_| own_line(self.text, bs))
                            .map(|(e, _)| e);
                        let start = if end.is_some() {
                            line_start(self.text, bs)
                        } else {
                            bs
                        };
                        self.edits.push(Edit {
                            start,
                            end: end.unwrap_or(be),
                            text: String::new(),
                        });
                    } else {
                        let sep = if own_line(self.text, bs) {
                            format!("\n{}", indent_at(self.text, bs))
                        } else {
                            " ".into()
                        };
                        self.edits.push(Edit {
                            start: bs,
                            end: be,
                            text: lines.join(&sep),
                        });
                    }
                }
            }
        }
        if first {
            let brace = set
                .l_curly_token()
                .ok_or("the instance is not a complete attribute set")?;
            let p = usize::from(brace.text_range().end());
            let (s, e) = range(set.syntax());
            let inner = self.text.get(s..e).unwrap_or("");
            let module = (string(&info.module), string(&info.input));
            let text = if inner.contains('\n') {
                let indent = match set.entries().next() {
                    Some(first) if own_line(self.text, range(first.syntax()).0) => {
                        indent_at(self.text, range(first.syntax()).0).to_string()
                    }
                    _ => format!("{}  ", indent_at(self.text, s)),
                };
                format!(
                    "\n{indent}module.name = {};\n{indent}module.input = {};",
                    module.0, module.1
                )
            } else {
                format!(" module.name = {}; module.input = {};", module.0, module.1)
            };
            self.edits.push(Edit {
                start: p,
                end: p,
                text,
            });
        }
        Ok(())
    }

    /// The new bindings of one contribution, for its own indentation.
    pub(super) fn render(
        &mut self,
        c: &Contribution,
        info: &Info,
        first: bool,
    ) -> Result<Vec<String>, String> {
        let value = c.binding.value().ok_or("a binding has no value")?;
        let (vs, ve) = range(value.syntax());
        let name = if info.builtin {
            attr_name(&info.target)
        } else {
            c.names[c.at].1.syntax().text().to_string()
        };
        let head = format!("{}instances.{name}", c.prefix);
        let tail = &c.names[c.at + 1..];
        let mut out = Vec::new();
        if tail.is_empty() {
            let set = attrset(&value).ok_or("the instance is not written as an attribute set")?;
            self.body(info, &set, first)?;
            out.push(format!(
                "{head} = {};",
                splice(self.text, vs, ve, &self.edits)
            ));
            return Ok(out);
        }
        if first {
            out.push(format!("{head}.module.name = {};", string(&info.module)));
            out.push(format!("{head}.module.input = {};", string(&info.input)));
        }
        match self.field(info, tail, &value)? {
            Field::InPlace(renames) => {
                let rel: Vec<String> = tail
                    .iter()
                    .enumerate()
                    .map(|(i, (_, a))| {
                        renames
                            .iter()
                            .find(|(j, _)| *j == i)
                            .map(|(_, n)| n.to_string())
                            .unwrap_or_else(|| a.syntax().text().to_string())
                    })
                    .collect();
                out.push(format!(
                    "{head}.{} = {};",
                    rel.join("."),
                    splice(self.text, vs, ve, &self.edits)
                ));
            }
            Field::Relocated(list) => {
                for (rel, src) in &list {
                    out.push(format!("{head}.{rel} = {};", self.source(src)));
                }
            }
        }
        Ok(out)
    }
}
