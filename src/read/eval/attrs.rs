//! Attribute sets and `let`: bindings collected the way Nix's parser merges them (dotted paths,
//! nested literal sets, `inherit`, `inherit (from)`, dynamic names), recursive scopes for `rec`
//! and `let`, and duplicate definitions reported with both places.

use super::Evaluator;
use super::errors::{duplicate, err, type_error};
use super::value::*;
use crate::diagnostics::{Diagnostic, FileId, Kind, Span};
use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

impl Evaluator {
    /// Builds the scope of a `let` (recursive: bindings see each other).
    pub(crate) fn bind_recursive(
        &mut self,
        node: &impl HasEntry,
        env: &Env,
        file: FileId,
    ) -> Result<Env, Diagnostic> {
        let scope = Rc::new(Scope::Vars {
            vars: RefCell::new(HashMap::new()),
            parent: env.clone(),
        });
        let tree = self.build_tree(node, &scope, env, file)?;
        let Scope::Vars { vars, .. } = &*scope else {
            unreachable!("just built")
        };
        let mut vars = vars.borrow_mut();
        for (name, node) in tree.entries {
            vars.insert(name, node.into_thunk());
        }
        drop(vars);
        Ok(scope)
    }

    pub(crate) fn eval_attrset(
        &mut self,
        set: &ast::AttrSet,
        env: &Env,
        file: FileId,
        span: Span,
        rec: bool,
    ) -> Result<Val, Diagnostic> {
        let (tree, scope) = if rec {
            let scope = Rc::new(Scope::Vars {
                vars: RefCell::new(HashMap::new()),
                parent: env.clone(),
            });
            let tree = self.build_tree(set, &scope, env, file)?;
            if let Scope::Vars { vars, .. } = &*scope {
                let mut vars = vars.borrow_mut();
                for (name, node) in &tree.entries {
                    if !node.dynamic {
                        vars.insert(name.clone(), node.clone().into_thunk());
                    }
                }
            }
            (tree, Some(scope))
        } else {
            (self.build_tree(set, env, env, file)?, None)
        };
        drop(scope);
        self.charge(tree.entries.len() * super::ops::ENTRY_BYTES, span)?;
        Ok(Val {
            v: V::Attrs(Rc::new(tree.into_map())),
            span,
        })
    }

    /// Collects the bindings of an attrset or `let`, merging dotted paths (`a.b = 1; a.c = 2;`)
    /// and nested literal sets the way Nix does. `inner` is the scope values are evaluated in,
    /// `outer` the one plain `inherit` looks names up in.
    fn build_tree(
        &mut self,
        node: &impl HasEntry,
        inner: &Env,
        outer: &Env,
        file: FileId,
    ) -> Result<Tree, Diagnostic> {
        let mut tree = Tree::default();
        self.add_entries(node, inner, outer, file, &mut tree)?;
        Ok(tree)
    }

    fn add_entries(
        &mut self,
        node: &impl HasEntry,
        inner: &Env,
        outer: &Env,
        file: FileId,
        tree: &mut Tree,
    ) -> Result<(), Diagnostic> {
        for entry in node.entries() {
            match entry {
                ast::Entry::Inherit(inherit) => {
                    let from = inherit
                        .from()
                        .and_then(|f| f.expr())
                        .map(|e| Thunk::code(e, inner.clone(), file));
                    for attr in inherit.attrs() {
                        let key_span = Span::new(file, attr.syntax().text_range());
                        let Some(name) = self.attr_name(&attr, inner, file)? else {
                            continue;
                        };
                        let thunk = match &from {
                            Some(source) => {
                                let source = source.clone();
                                let name = name.clone();
                                Thunk::deferred(
                                    key_span,
                                    Box::new(move |ev: &mut Evaluator| {
                                        let base = ev.force(&source)?;
                                        match &base.v {
                                            V::Attrs(map) => match map.get(&name) {
                                                Some(b) => ev.force(&b.thunk.clone()),
                                                None => Err(err(
                                                    Kind::EvalError,
                                                    key_span,
                                                    format!("attribute `{name}` is missing"),
                                                )),
                                            },
                                            V::Opaque(_) => {
                                                Ok(ev.opaque_select(&base, &name, key_span))
                                            }
                                            _ => Err(type_error(
                                                base.span,
                                                "an attribute set",
                                                &base,
                                            )),
                                        }
                                    }),
                                )
                            }
                            None => {
                                let outer = outer.clone();
                                let name = name.clone();
                                Thunk::deferred(
                                    key_span,
                                    Box::new(move |ev: &mut Evaluator| {
                                        ev.lookup(&name, &outer, key_span)
                                    }),
                                )
                            }
                        };
                        tree.insert_leaf(name, thunk, key_span, key_span)?;
                    }
                }
                ast::Entry::AttrpathValue(apv) => {
                    let entry_span = Span::new(file, apv.syntax().text_range());
                    let (Some(attrpath), Some(value)) = (apv.attrpath(), apv.value()) else {
                        return Err(err(Kind::Syntax, entry_span, "incomplete binding"));
                    };
                    let mut names = Vec::new();
                    let mut dynamic = false;
                    for attr in attrpath.attrs() {
                        let key_span = Span::new(file, attr.syntax().text_range());
                        dynamic |= matches!(attr, ast::Attr::Dynamic(_));
                        match self.attr_name(&attr, inner, file)? {
                            Some(n) => names.push((n, key_span)),
                            None => {
                                names.clear();
                                break;
                            }
                        }
                    }
                    if names.is_empty() {
                        continue;
                    }
                    let value_span = Span::new(file, value.syntax().text_range());
                    let (last, parents) = names.split_last().expect("non-empty");
                    let mut target = &mut *tree;
                    for (name, key_span) in parents {
                        target = target.subtree(name.clone(), *key_span, dynamic)?;
                    }
                    match &value {
                        ast::Expr::AttrSet(set) if set.rec_token().is_none() => {
                            let sub = target.subtree(last.0.clone(), last.1, dynamic)?;
                            sub.span = Some(value_span);
                            // A nested set is an expression of the scope its parent's values
                            // are evaluated in: its plain `inherit` looks names up there (in
                            // `let a = 2; b = { inherit a; }` it finds this `a`).
                            self.add_entries(set, inner, inner, file, sub)?;
                        }
                        _ => {
                            let thunk = Thunk::code(value, inner.clone(), file);
                            target.insert_leaf(last.0.clone(), thunk, last.1, value_span)?;
                            if dynamic && let Some(n) = target.entries.get_mut(&last.0) {
                                n.dynamic = true;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Bindings being collected for one attrset or `let`.
#[derive(Default, Clone)]
struct Tree {
    entries: BTreeMap<Rc<str>, TreeNode>,
    span: Option<Span>,
}

#[derive(Clone)]
struct TreeNode {
    key_span: Span,
    value_span: Span,
    dynamic: bool,
    kind: TreeKind,
}

#[derive(Clone)]
enum TreeKind {
    Leaf(Thunk),
    Set(Tree),
}

impl TreeNode {
    pub(crate) fn into_thunk(self) -> Thunk {
        match self.kind {
            TreeKind::Leaf(t) => t,
            TreeKind::Set(tree) => {
                let span = tree.span.unwrap_or(self.value_span);
                Thunk::ready(Val {
                    v: V::Attrs(Rc::new(tree.into_map())),
                    span,
                })
            }
        }
    }
}

impl Tree {
    pub(crate) fn into_map(self) -> AttrMap {
        self.entries
            .into_iter()
            .map(|(k, node)| {
                let key_span = node.key_span;
                (
                    k,
                    Binding {
                        thunk: node.into_thunk(),
                        key_span,
                    },
                )
            })
            .collect()
    }

    pub(crate) fn subtree(
        &mut self,
        name: Rc<str>,
        key_span: Span,
        dynamic: bool,
    ) -> Result<&mut Tree, Diagnostic> {
        let node = self
            .entries
            .entry(name.clone())
            .or_insert_with(|| TreeNode {
                key_span,
                value_span: key_span,
                dynamic,
                kind: TreeKind::Set(Tree::default()),
            });
        match &mut node.kind {
            TreeKind::Set(tree) => Ok(tree),
            TreeKind::Leaf(_) => Err(duplicate(&name, key_span, node.key_span)),
        }
    }

    pub(crate) fn insert_leaf(
        &mut self,
        name: Rc<str>,
        thunk: Thunk,
        key_span: Span,
        value_span: Span,
    ) -> Result<(), Diagnostic> {
        if let Some(existing) = self.entries.get(&name) {
            return Err(duplicate(&name, key_span, existing.key_span));
        }
        self.entries.insert(
            name,
            TreeNode {
                key_span,
                value_span,
                dynamic: false,
                kind: TreeKind::Leaf(thunk),
            },
        );
        Ok(())
    }
}
