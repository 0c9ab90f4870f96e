//! The free variables of an island's expression, and where its relative paths are.
//!
//! A name is free when no binding inside the expression (lambda parameters, `let`, `rec`,
//! pattern arguments) gives it a value. Names that appear inside a `with` of the expression are
//! marked, because Nix may take them from that `with` instead of from outside. Relative path
//! literals are listed so the island's text can be made independent of where Nix reads it.

use crate::read::eval::recursive_names;
use rnix::SyntaxKind as K;
use rnix::SyntaxNode;
use rnix::ast;
use rowan::ast::AstNode;

/// One free name: the name, and whether every use of it is inside a `with` of the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeName {
    pub name: String,
    pub only_under_with: bool,
}

/// What an expression needs from outside.
#[derive(Debug, Default)]
pub struct Needs {
    /// Free names, in order of first use.
    pub names: Vec<FreeName>,
    /// Byte offsets (relative to the expression's start) where relative path literals begin.
    pub relative_paths: Vec<usize>,
}

/// Finds the free names and relative paths of `node`.
pub fn needs(node: &SyntaxNode) -> Needs {
    let mut needs = Needs::default();
    let base = usize::from(node.text_range().start());
    walk(node, &mut Vec::new(), false, base, &mut needs);
    needs
}

fn note_free(needs: &mut Needs, name: String, under_with: bool) {
    match needs.names.iter_mut().find(|f| f.name == name) {
        Some(f) => f.only_under_with &= under_with,
        None => needs.names.push(FreeName {
            name,
            only_under_with: under_with,
        }),
    }
}

fn walk(
    node: &SyntaxNode,
    bound: &mut Vec<String>,
    under_with: bool,
    base: usize,
    out: &mut Needs,
) {
    match node.kind() {
        K::NODE_IDENT => {
            // A pattern entry's first ident is its name; a second one is its default.
            let is_name = node.parent().is_some_and(|p| match p.kind() {
                K::NODE_ATTRPATH | K::NODE_PAT_BIND | K::NODE_IDENT_PARAM => true,
                K::NODE_PAT_ENTRY => p.first_child().as_ref() == Some(node),
                _ => false,
            });
            let name = node.text().to_string();
            if !is_name && !bound.contains(&name) {
                note_free(out, name, under_with);
            }
        }
        K::NODE_PATH_REL => {
            out.relative_paths
                .push(usize::from(node.text_range().start()) - base);
            walk_children(node, bound, under_with, base, out);
        }
        K::NODE_WITH => {
            let mut children = node.children();
            if let Some(namespace) = children.next() {
                walk(&namespace, bound, under_with, base, out);
            }
            for body in children {
                walk(&body, bound, true, base, out);
            }
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
            walk_children(node, bound, under_with, base, out);
            bound.truncate(before);
        }
        K::NODE_LET_IN | K::NODE_ATTR_SET => {
            let before = bound.len();
            let recursive = node.kind() == K::NODE_LET_IN
                || ast::AttrSet::cast(node.clone()).is_some_and(|s| s.rec_token().is_some());
            // Plain `inherit x;` reads `x` from the enclosing scope, even in `let` and `rec`.
            for child in node.children().filter(|c| c.kind() == K::NODE_INHERIT) {
                let plain = !child.children().any(|c| c.kind() == K::NODE_INHERIT_FROM);
                if plain {
                    for i in child.children().filter(|c| c.kind() == K::NODE_IDENT) {
                        let name = i.text().to_string();
                        if !bound.contains(&name) {
                            note_free(out, name, under_with);
                        }
                    }
                }
            }
            if recursive {
                bound.extend(recursive_names(node));
            }
            for child in node.children() {
                if child.kind() == K::NODE_INHERIT {
                    // Only the `(from)` expression of an inherit is code.
                    for from in child
                        .children()
                        .filter(|c| c.kind() == K::NODE_INHERIT_FROM)
                    {
                        walk(&from, bound, under_with, base, out);
                    }
                } else {
                    walk(&child, bound, under_with, base, out);
                }
            }
            bound.truncate(before);
        }
        _ => walk_children(node, bound, under_with, base, out),
    }
}

fn walk_children(
    node: &SyntaxNode,
    bound: &mut Vec<String>,
    under_with: bool,
    base: usize,
    out: &mut Needs,
) {
    for child in node.children() {
        walk(&child, bound, under_with, base, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free(text: &str) -> Vec<(String, bool)> {
        let root = rnix::Root::parse(text).tree();
        let expr = root.expr().expect("an expression");
        needs(expr.syntax())
            .names
            .into_iter()
            .map(|f| (f.name, f.only_under_with))
            .collect()
    }

    #[test]
    fn bindings_hide_names_and_selections_are_not_names() {
        assert_eq!(
            free("x.lib.mk { names = n; inherit y; a.b = z: z + w; }"),
            vec![
                ("x".into(), false),
                ("y".into(), false),
                ("n".into(), false),
                ("w".into(), false)
            ]
        );
        assert_eq!(free("let a = b; c = a; in c"), vec![("b".into(), false)]);
        assert_eq!(
            free("let inherit a; in rec { b = a; c = b; }"),
            vec![("a".into(), false)]
        );
        assert_eq!(
            free("{ p ? q, ... }@args: p + args.r + s"),
            vec![("q".into(), false), ("s".into(), false)]
        );
        assert_eq!(
            free("with lib; genAttrs xs f"),
            vec![
                ("lib".into(), false),
                ("genAttrs".into(), true),
                ("xs".into(), true),
                ("f".into(), true)
            ]
        );
        assert_eq!(
            free("{ inherit (src) a; b = x ? y; }"),
            vec![("src".into(), false), ("x".into(), false)]
        );
    }

    #[test]
    fn relative_paths_are_found() {
        let text = "{ a = ./x; b = /abs; c = ../y/${z}; }";
        let root = rnix::Root::parse(text).tree();
        let expr = root.expr().expect("an expression");
        let n = needs(expr.syntax());
        assert_eq!(n.relative_paths, vec![6, 25]);
        assert_eq!(&text[25..29], "../y");
    }
}
