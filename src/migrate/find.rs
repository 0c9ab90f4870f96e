//! Finding what to rewrite: the bindings of the flake's Nix files that define legacy
//! `services.<module>.<instance>`, written directly (`services.<m>.<i>… = …`) or inside
//! `services` and `services.<m>` attribute sets, with the containers they sit in.
//!
//! Guarantees: only attribute names written statically are followed; every instance defined
//! in a form this cannot follow (JSON, `inherit`, a non-literal attribute set, a variable or an
//! import) is reported with the reason and a hint instead of being rewritten in part.

use super::Key;
use super::check::Info;
use crate::diagnostics::{FileId, Span};
use crate::lower::Inventory;
use crate::read::Flake;
use rnix::ast::{self, AstToken, HasEntry};
use rowan::ast::AstNode;
use std::collections::{BTreeMap, BTreeSet};

/// The name of an attribute when it is written statically.
pub(super) fn static_name(attr: &ast::Attr) -> Option<String> {
    match attr {
        ast::Attr::Ident(i) => Some(i.syntax().text().to_string()),
        ast::Attr::Str(s) => plain_string(s),
        ast::Attr::Dynamic(d) => match d.expr()? {
            ast::Expr::Str(s) => plain_string(&s),
            _ => None,
        },
    }
}

/// The value of a `"…"` string without interpolation.
pub(super) fn plain_string(s: &ast::Str) -> Option<String> {
    if s.syntax().first_token().is_some_and(|t| t.text() == "''") {
        return None;
    }
    let mut text = String::new();
    for part in s.parts() {
        match part {
            ast::InterpolPart::Literal(l) => text.push_str(l.syntax().text()),
            ast::InterpolPart::Interpolation(_) => return None,
        }
    }
    Some(crate::read::strings::unescape_plain(&text))
}

pub(super) type Names = Vec<(String, ast::Attr)>;

pub(super) fn names_of(binding: &ast::AttrpathValue) -> Option<Names> {
    binding
        .attrpath()?
        .attrs()
        .map(|a| static_name(&a).map(|n| (n, a)))
        .collect()
}

pub(super) fn range(node: &rnix::SyntaxNode) -> (usize, usize) {
    let r = node.text_range();
    (usize::from(r.start()), usize::from(r.end()))
}

pub(super) fn attrset(value: &ast::Expr) -> Option<ast::AttrSet> {
    match value {
        ast::Expr::AttrSet(set) if set.rec_token().is_none() => Some(set.clone()),
        _ => None,
    }
}

pub(super) fn bindings(set: &ast::AttrSet) -> Result<Vec<ast::AttrpathValue>, String> {
    set.entries()
        .map(|e| match e {
            ast::Entry::AttrpathValue(b) => Ok(b),
            ast::Entry::Inherit(_) => {
                Err("it uses `inherit`, which migrate does not rewrite".into())
            }
        })
        .collect()
}

/// One binding that defines (part of) a legacy instance.
pub(super) struct Contribution {
    pub(super) key: Key,
    pub(super) binding: ast::AttrpathValue,
    pub(super) names: Names,
    /// Index in `names` of the instance's name.
    pub(super) at: usize,
    /// The text written before `services` (`inventory.` or nothing).
    pub(super) prefix: String,
    /// The `services` containers between the inventory and the binding, outermost first.
    pub(super) chain: Vec<ast::AttrpathValue>,
    /// Where the attribute set holding the inventory starts.
    pub(super) x: usize,
}

/// The bindings of the attribute set `x` that define legacy instances under
/// `<prefix>.services`, directly (`services.<m>.<i>… = …`) or in `services`/`services.<m>`
/// attribute sets; forms it cannot follow go to `unsupported` (module, instance, reason).
pub(super) fn discover(
    x: &ast::AttrSet,
    prefix: &[String],
    out: &mut Vec<Contribution>,
    unsupported: &mut Vec<(String, Option<String>, String)>,
) {
    let x_start = range(x.syntax()).0;
    let entries = x.entries().filter_map(|e| match e {
        ast::Entry::AttrpathValue(b) => Some(b),
        ast::Entry::Inherit(_) => None,
    });
    let n = prefix.len();
    for b in entries {
        let Some(names) = names_of(&b) else { continue };
        if names.len() <= n
            || names[..n].iter().map(|(s, _)| s).ne(prefix.iter())
            || names[n].0 != "services"
        {
            continue;
        }
        let prefix_text: String = names[..n]
            .iter()
            .map(|(_, a)| format!("{}.", a.syntax().text()))
            .collect();
        let rest = names.len() - n - 1;
        if rest >= 2 {
            out.push(Contribution {
                key: (names[n + 1].0.clone(), names[n + 2].0.clone()),
                binding: b.clone(),
                names,
                at: n + 2,
                prefix: prefix_text.clone(),
                chain: Vec::new(),
                x: x_start,
            });
            continue;
        }
        let module = (rest == 1).then(|| names[n + 1].0.clone());
        let Some(set) = b.value().as_ref().and_then(attrset) else {
            unsupported.push((
                module.unwrap_or_default(),
                None,
                "its `services` are not written as an attribute set".into(),
            ));
            continue;
        };
        for c in set.entries() {
            let c = match c {
                ast::Entry::AttrpathValue(c) => c,
                ast::Entry::Inherit(i) => {
                    for a in i.attrs() {
                        if let Some(name) = static_name(&a) {
                            let (m, inst) = match &module {
                                Some(m) => (m.clone(), Some(name)),
                                None => (name, None),
                            };
                            unsupported.push((m, inst, "it is brought in with `inherit`".into()));
                        }
                    }
                    continue;
                }
            };
            let Some(cn) = names_of(&c).filter(|n| !n.is_empty()) else {
                continue;
            };
            match (&module, cn.len()) {
                (Some(m), _) => out.push(Contribution {
                    key: (m.clone(), cn[0].0.clone()),
                    binding: c.clone(),
                    names: cn,
                    at: 0,
                    prefix: prefix_text.clone(),
                    chain: vec![b.clone()],
                    x: x_start,
                }),
                (None, len) if len >= 2 => out.push(Contribution {
                    key: (cn[0].0.clone(), cn[1].0.clone()),
                    binding: c.clone(),
                    names: cn,
                    at: 1,
                    prefix: prefix_text.clone(),
                    chain: vec![b.clone()],
                    x: x_start,
                }),
                (None, _) => {
                    let m = cn[0].0.clone();
                    let Some(inner) = c.value().as_ref().and_then(attrset) else {
                        unsupported.push((
                            m,
                            None,
                            "its module's instances are not written as an attribute set".into(),
                        ));
                        continue;
                    };
                    for d in inner.entries() {
                        let d = match d {
                            ast::Entry::AttrpathValue(d) => d,
                            ast::Entry::Inherit(i) => {
                                for a in i.attrs() {
                                    if let Some(name) = static_name(&a) {
                                        unsupported.push((
                                            m.clone(),
                                            Some(name),
                                            "it is brought in with `inherit`".into(),
                                        ));
                                    }
                                }
                                continue;
                            }
                        };
                        let Some(dn) = names_of(&d).filter(|n| !n.is_empty()) else {
                            continue;
                        };
                        out.push(Contribution {
                            key: (m.clone(), dn[0].0.clone()),
                            binding: d.clone(),
                            names: dn,
                            at: 0,
                            prefix: prefix_text.clone(),
                            chain: vec![b.clone(), c.clone()],
                            x: x_start,
                        });
                    }
                }
            }
        }
    }
}

/// One Nix file that defines legacy services, parsed, with what it contributes.
pub(super) struct Parsed {
    pub(super) file: FileId,
    pub(super) contributions: Vec<Contribution>,
}

/// Pass 1 of a rewrite: every binding of every file that contributes to a legacy instance, and
/// the instances migrate cannot follow (into `refused`, with the reason and a hint).
pub(super) fn find_all(
    flake: &Flake,
    inventory: &Inventory,
    accepted: &BTreeMap<&Key, &Info>,
    refused: &mut BTreeMap<Key, (String, String)>,
) -> Vec<Parsed> {
    let mut by_file: BTreeMap<FileId, Vec<Span>> = BTreeMap::new();
    for span in &flake.service_keys {
        by_file.entry(span.file).or_default().push(*span);
    }
    let plainly = "write it out as `services.<module>.<instance> = { … };` in the file that holds the inventory, then run migrate again";

    let mut parsed: Vec<Parsed> = Vec::new();
    for (file, spans) in by_file {
        let path = flake.sources.path(file);
        let text = flake.sources.text(file);
        let display = flake.sources.name(file);
        if path.extension().is_some_and(|e| e == "json") {
            if let Ok(data) = crate::read::json::parse(text, file)
                && let Some(services) = data.as_attrs().and_then(|a| a.get("services"))
                && let Some(modules) = services.value.as_attrs()
            {
                for (m, e) in modules {
                    for i in e.value.as_attrs().into_iter().flat_map(|a| a.keys()) {
                        refused.insert(
                            (m.clone(), i.clone()),
                            (
                                format!("it is defined in {display}, which migrate does not rewrite"),
                                "move it into a Nix file (or rewrite it by hand), then run migrate again".into(),
                            ),
                        );
                    }
                }
            }
            continue;
        }
        let parse = rnix::Root::parse(text);
        if !parse.errors().is_empty() {
            continue;
        }
        let root = parse.syntax();
        let mut contributions = Vec::new();
        let mut unsupported = Vec::new();
        for span in spans {
            let key_range = (span.start as usize, span.end as usize);
            let Some(b_s) = root
                .descendants()
                .filter_map(ast::AttrpathValue::cast)
                .find(|b| {
                    b.attrpath()
                        .is_some_and(|p| p.attrs().any(|a| range(a.syntax()) == key_range))
                })
            else {
                continue;
            };
            let Some(names) = names_of(&b_s) else {
                continue;
            };
            let Some(k) = names
                .iter()
                .position(|(_, a)| range(a.syntax()) == key_range)
            else {
                continue;
            };
            let Some(x) = b_s.syntax().parent().and_then(ast::AttrSet::cast) else {
                continue;
            };
            let prefix: Vec<String> = names[..k].iter().map(|(n, _)| n.clone()).collect();
            discover(&x, &prefix, &mut contributions, &mut unsupported);
        }
        for (m, i, reason) in unsupported {
            let keys: Vec<Key> = match i {
                Some(i) => vec![(m, i)],
                None => inventory
                    .services
                    .keys()
                    .filter(|(km, _)| m.is_empty() || *km == m)
                    .cloned()
                    .collect(),
            };
            for key in keys {
                refused.insert(key, (reason.clone(), plainly.into()));
            }
        }
        parsed.push(Parsed {
            file,
            contributions,
        });
    }

    // Where each instance is written: one attribute set, or several.
    let mut places: BTreeMap<&Key, BTreeSet<(FileId, usize)>> = BTreeMap::new();
    for p in &parsed {
        for c in &p.contributions {
            places.entry(&c.key).or_default().insert((p.file, c.x));
        }
    }
    for key in accepted.keys() {
        match places.get(key) {
            None => {
                refused.entry((*key).clone()).or_insert_with(|| {
                    (
                        "migrate finds no definition of it that it can rewrite (it is defined through a variable, a function or an import)".into(),
                        plainly.into(),
                    )
                });
            }
            Some(at) if at.len() > 1 => {
                let layered = inventory.services.get(*key).is_some_and(|i| {
                    i.config.is_some()
                        || !i.extra_modules.is_empty()
                        || i.machines.values().any(|m| m.config.is_some())
                });
                if layered {
                    refused.insert(
                        (*key).clone(),
                        (
                            "it is defined in several places, so its `config` would become settings defined in several places".into(),
                            "define it in one place, then run migrate again".into(),
                        ),
                    );
                }
            }
            Some(_) => {}
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_names_only() {
        let parse = rnix::Root::parse(r#"{ a."b c".${"d"}.${e} = 1; }"#);
        let b = parse
            .syntax()
            .descendants()
            .find_map(ast::AttrpathValue::cast)
            .unwrap();
        let names: Vec<Option<String>> = b
            .attrpath()
            .unwrap()
            .attrs()
            .map(|a| static_name(&a))
            .collect();
        assert_eq!(
            names,
            [Some("a".into()), Some("b c".into()), Some("d".into()), None]
        );
    }
}
