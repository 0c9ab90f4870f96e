//! The guarantee that nothing is silently left unread: every call of a clan constructor or
//! framework written in a file the reader read must have been evaluated, every file the
//! outputs import must be readable, and, when no clan config was found, every part of the
//! outputs must have been evaluated. What is not is an error at its span.

use super::{CallKind, Discovery, call_kind, last_name, unfollowed};
use crate::diagnostics::{Diagnostic, Kind, Span};
use rowan::ast::AstNode;
use std::collections::HashSet;

impl Discovery<'_> {
    /// Every call of a clan constructor or framework written in a file the reader read must
    /// have been evaluated (and so followed): one that was not hides part of the clan config.
    /// Likewise a file the outputs import that cannot be read, and, when the flake defines no
    /// clan config the reader could find, any part of the outputs that could not be evaluated.
    pub(super) fn unfollowed_calls(&mut self) {
        use rnix::SyntaxKind as K;
        let recorded: HashSet<Span> = self
            .ev
            .calls
            .iter()
            .map(|c| c.span)
            .chain(self.ev.reached_calls.iter().copied())
            .collect();
        let mut files: Vec<(crate::diagnostics::FileId, rnix::ast::Expr)> = self
            .ev
            .files
            .values()
            .filter_map(|f| f.root.as_ref().ok().map(|r| (f.id, r.clone())))
            .collect();
        files.sort_by_key(|(id, _)| id.0);
        let mut missed = Vec::new();
        for (id, root) in files {
            // Only a file that names a clan constructor or framework can call one: the
            // inventory's own large files are not walked again.
            let text = self.ev.sources.text(id);
            if !["clan", "Clan", "mkFlake", "evalFlakeModule"]
                .iter()
                .any(|w| text.contains(w))
            {
                continue;
            }
            for node in root.syntax().descendants() {
                if node.kind() != K::NODE_APPLY {
                    continue;
                }
                let Some(function) = rnix::ast::Apply::cast(node.clone()).and_then(|a| a.lambda())
                else {
                    continue;
                };
                let Some(name) = last_name(&function) else {
                    continue;
                };
                if call_kind(&name) == CallKind::Other {
                    continue;
                }
                let span = Span::new(id, node.text_range());
                if !recorded.contains(&span) {
                    missed.push((span, name));
                }
            }
        }
        let hidden: Vec<&Diagnostic> = self
            .swallowed
            .iter()
            .filter(|d| {
                matches!(
                    d.kind,
                    Kind::Syntax | Kind::MissingFile | Kind::BadImport | Kind::Io
                )
            })
            .collect();
        let mut out = Vec::new();
        for (span, name) in missed {
            let mut d = Diagnostic::at(
                Kind::NotStatic,
                span,
                format!(
                    "this call of `{name}` was not followed: the reader never reached it, so the clan configuration it may define cannot be read"
                ),
            )
            .with_label("not followed");
            let hint = match self.swallowed.iter().find(|d| d.span.is_some()) {
                Some(cause) => {
                    d = d.with_note(
                        cause.span.expect("filtered"),
                        format!("reading the outputs stopped here: {}", cause.message),
                    );
                    "make the outputs that lead to it readable (see the note), or write the clan call where discovery looks: `outputs`, a framework's `flake = …`, `clan = …`, `imports`"
                }
                None => {
                    "write the clan call where discovery looks: `outputs`, a framework's `flake = …`, `clan = …`, `imports`"
                }
            };
            out.push(d.with_hint(hint));
        }
        for cause in hidden {
            out.push(unfollowed(
                cause.clone(),
                "a file the flake's outputs import",
            ));
        }
        if out.is_empty() && !self.clan_found && !self.swallowed.is_empty() {
            for cause in &self.swallowed {
                out.push(unfollowed(cause.clone(), "part of the flake's outputs"));
            }
        }
        self.found.diagnostics.extend(out);
    }
}
