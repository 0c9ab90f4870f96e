//! Forcing values into data: the inventory is read as plain data (with spans) once evaluated;
//! modules in `extraModules` that are closed expressions are kept as source text.

use super::errors::{err, not_static};
use super::value::*;
use super::{Evaluator, MAX_DEPTH};
use crate::diagnostics::{Diagnostic, FileId, Kind, Span};
use crate::read::data::{Data, DataKind, Entry};
use rnix::ast;
use rowan::ast::AstNode;
use std::collections::BTreeMap;
use std::rc::Rc;

impl Evaluator {
    /// Forces a value completely into data. `extraModules` entries may be closed expressions,
    /// which are kept as source text.
    pub fn force_data(&mut self, thunk: &Thunk, verbatim_ok: bool) -> Result<Data, Diagnostic> {
        if self.depth >= MAX_DEPTH {
            let span = thunk.span().unwrap_or(Span {
                file: FileId(0),
                start: 0,
                end: 0,
            });
            return Err(err(Kind::NotStatic, span, "the value is nested too deeply"));
        }
        self.depth += 1;
        let result = self.force_data_inner(thunk, verbatim_ok);
        self.depth -= 1;
        result
    }

    pub(crate) fn force_data_inner(
        &mut self,
        thunk: &Thunk,
        verbatim_ok: bool,
    ) -> Result<Data, Diagnostic> {
        let val = self.force(thunk)?;
        let span = val.span;
        let kind = match &val.v {
            V::Null => DataKind::Null,
            V::Bool(b) => DataKind::Bool(*b),
            V::Int(i) => DataKind::Int(*i),
            V::Float(f) if f.is_finite() => DataKind::Float(*f),
            V::Float(_) => {
                return Err(err(
                    Kind::EvalError,
                    span,
                    "this number is infinite or not a number, which no file can hold",
                )
                .with_hint("Nix has no literal for it, and JSON cannot hold it either"));
            }
            V::Str(s) => DataKind::Str(s.to_string()),
            V::Path(p) => DataKind::Path(p.to_path_buf()),
            V::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    out.push(self.force_data(item, verbatim_ok)?);
                }
                DataKind::List(out)
            }
            V::Attrs(map) => {
                if verbatim_ok && let Some(text) = self.closed_source(span) {
                    DataKind::Verbatim(text)
                } else {
                    let mut out = BTreeMap::new();
                    for (key, binding) in map.iter() {
                        let allow = &**key == "extraModules";
                        let value = self.force_data(&binding.thunk, allow)?;
                        out.insert(
                            key.to_string(),
                            Entry {
                                key_span: binding.key_span,
                                value,
                            },
                        );
                    }
                    DataKind::Attrs(out)
                }
            }
            V::Override {
                priority,
                style,
                content,
            } => DataKind::Override {
                priority: *priority,
                style: *style,
                content: Box::new(self.force_data(content, verbatim_ok)?),
            },
            V::Lambda(_) if verbatim_ok => match self.closed_source(span) {
                Some(text) => DataKind::Verbatim(text),
                None => {
                    return Err(err(
                        Kind::NotStatic,
                        span,
                        "this module refers to names or relative paths from its surroundings",
                    )
                    .with_hint(
                        "write it in a file of its own and list the path, or make it closed (no outside variables, no relative paths)",
                    ));
                }
            },
            V::Lambda(_) | V::Builtin(..) => {
                return Err(
                    err(Kind::NotStatic, span, "a function is not inventory data")
                        .with_hint("the inventory holds data; functions belong in modules"),
                );
            }
            V::Opaque(o) => {
                // Needed as data and unknown: an island for the user's Nix, if islands are on
                // (never for modules, which are code, not data).
                let island = if verbatim_ok {
                    None
                } else {
                    self.island_data(&val)
                };
                return island
                    .unwrap_or_else(|| Err(not_static(span, &format!("`{}`", o.describe()))));
            }
        };
        Ok(Data { kind, span })
    }

    /// The source text at `span` if it is a closed expression: no free variables besides
    /// `builtins`/`true`/`false`/`null`, no `with`, no relative or search paths.
    pub(crate) fn closed_source(&self, span: Span) -> Option<String> {
        let text = &self.sources.text(span.file)[span.start as usize..span.end as usize];
        let parse = rnix::Root::parse(text);
        if !parse.errors().is_empty() {
            return None;
        }
        let expr = parse.tree().expr()?;
        is_closed(expr.syntax(), &mut Vec::new()).then(|| text.to_string())
    }
}

pub(crate) fn is_closed(node: &rnix::SyntaxNode, bound: &mut Vec<String>) -> bool {
    use rnix::SyntaxKind as K;
    match node.kind() {
        K::NODE_WITH | K::NODE_PATH_REL | K::NODE_PATH_HOME | K::NODE_PATH_SEARCH => false,
        K::NODE_IDENT => {
            let parent_is_attr = node.parent().is_some_and(|p| {
                matches!(
                    p.kind(),
                    K::NODE_ATTRPATH | K::NODE_PAT_ENTRY | K::NODE_PAT_BIND | K::NODE_IDENT_PARAM
                )
            });
            let name = node.text().to_string();
            parent_is_attr
                || bound.contains(&name)
                || matches!(name.as_str(), "true" | "false" | "null" | "builtins")
        }
        K::NODE_LAMBDA => {
            let before = bound.len();
            if let Some(lambda) = ast::Lambda::cast(node.clone()) {
                match lambda.param() {
                    Some(ast::Param::IdentParam(p)) => {
                        if let Some(i) = p.ident() {
                            bound.push(i.syntax().text().to_string());
                        }
                    }
                    Some(ast::Param::Pattern(p)) => {
                        for e in p.pat_entries() {
                            if let Some(i) = e.ident() {
                                bound.push(i.syntax().text().to_string());
                            }
                        }
                        if let Some(i) = p.pat_bind().and_then(|b| b.ident()) {
                            bound.push(i.syntax().text().to_string());
                        }
                    }
                    None => {}
                }
            }
            let ok = node.children().all(|c| is_closed(&c, bound));
            bound.truncate(before);
            ok
        }
        K::NODE_LET_IN | K::NODE_ATTR_SET => {
            let before = bound.len();
            let recursive = node.kind() == K::NODE_LET_IN
                || ast::AttrSet::cast(node.clone()).is_some_and(|s| s.rec_token().is_some());
            if recursive {
                for child in node.children() {
                    if child.kind() == K::NODE_ATTRPATH_VALUE
                        && let Some(first) = child
                            .children()
                            .find(|c| c.kind() == K::NODE_ATTRPATH)
                            .and_then(|p| p.children().next())
                        && first.kind() == K::NODE_IDENT
                    {
                        bound.push(first.text().to_string());
                    }
                    if child.kind() == K::NODE_INHERIT {
                        for i in child.children().filter(|c| c.kind() == K::NODE_IDENT) {
                            bound.push(i.text().to_string());
                        }
                    }
                }
            }
            let ok = node.children().all(|c| {
                if c.kind() == K::NODE_INHERIT && c.children().all(|i| i.kind() == K::NODE_IDENT) {
                    // plain `inherit x;` reads x from outside
                    c.children().all(|i| bound.contains(&i.text().to_string()))
                } else {
                    is_closed(&c, bound)
                }
            });
            bound.truncate(before);
            ok
        }
        _ => node.children().all(|c| is_closed(&c, bound)),
    }
}

/// Turns data read from JSON into a value.
pub fn data_to_val(data: Data) -> Val {
    let span = data.span;
    let v = match data.kind {
        DataKind::Null => V::Null,
        DataKind::Bool(b) => V::Bool(b),
        DataKind::Int(i) => V::Int(i),
        DataKind::Float(f) => V::Float(f),
        DataKind::Str(s) => V::Str(s.into()),
        DataKind::Path(p) => V::Path(p.into()),
        DataKind::List(items) => V::List(
            items
                .into_iter()
                .map(|d| Thunk::ready(data_to_val(d)))
                .collect::<Vec<_>>()
                .into(),
        ),
        DataKind::Attrs(entries) => V::Attrs(Rc::new(
            entries
                .into_iter()
                .map(|(k, e)| {
                    (
                        Rc::from(k.as_str()),
                        Binding {
                            thunk: Thunk::ready(data_to_val(e.value)),
                            key_span: e.key_span,
                        },
                    )
                })
                .collect(),
        )),
        DataKind::Override {
            priority,
            style,
            content,
        } => V::Override {
            priority,
            style,
            content: Thunk::ready(data_to_val(*content)),
        },
        DataKind::Verbatim(text) => V::Str(text.into()),
    };
    Val { v, span }
}
