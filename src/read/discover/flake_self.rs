//! `self` and the module arguments as Nix gives them: the flake's `outputs` are called with
//! the inputs and `self` (the flake itself: its directory as `outPath`, its inputs, and the
//! outputs it defines), and module functions of the clan config get that `self` and those
//! inputs.

use super::super::eval::{Evaluator, Thunk, V, Val, opaque_val};
use super::Discovery;
use crate::diagnostics::Diagnostic;
use rowan::ast::AstNode;
use std::path::Path;
use std::rc::Rc;

impl Discovery<'_> {
    /// Calls `outputs` as Nix does, with the inputs and `self`, the flake itself: its
    /// `outPath` is the flake's directory, `self.inputs` its inputs, and `self.<output>` what
    /// `outputs` defines. The names of the outputs come from a first call in which every input
    /// is unknown; when they cannot be known that way (a framework computes the outputs),
    /// `self` stays an unknown input (`inputs.self`).
    pub(super) fn apply_outputs(&mut self, outputs: &Val) -> Result<Val, Diagnostic> {
        let span = outputs.span;
        let calls_before = self.ev.calls.len();
        let first = self.ev.apply(
            outputs.clone(),
            Thunk::ready(opaque_val("inputs", span)),
            span,
        )?;
        let V::Attrs(output_names) = &first.v else {
            return Ok(first);
        };
        let V::Lambda(closure) = &outputs.v else {
            return Ok(first);
        };
        // The input names: declared ones, and those the pattern asks for (flake registry).
        let mut names: Vec<Rc<str>> = self
            .found
            .inputs
            .keys()
            .map(|k| Rc::from(k.as_str()))
            .collect();
        if let Some(rnix::ast::Param::Pattern(p)) = closure.lambda.param() {
            for e in p.pat_entries() {
                if let Some(i) = e.ident() {
                    names.push(Rc::from(i.syntax().text().to_string().as_str()));
                }
            }
        }
        // Nothing of the first call is kept: what it recorded is recorded again below.
        self.ev.calls.truncate(calls_before);
        let result_cell: Rc<std::cell::RefCell<Option<Thunk>>> = Rc::default();
        let binding = |thunk: Thunk| super::super::eval::Binding {
            thunk,
            key_span: span,
        };
        // As in Nix, `self.outPath` is a string: the path of the flake's source. Strings that
        // name paths of the flake are read as those paths (see `force_data`).
        let path = |p: &Path| {
            Thunk::ready(Val {
                v: V::Str(p.display().to_string().into()),
                span,
            })
        };
        let inputs_cell: Rc<std::cell::RefCell<Option<Thunk>>> = Rc::default();
        let mut self_map = super::super::eval::AttrMap::new();
        for name in output_names.keys() {
            let cell = result_cell.clone();
            let key = name.clone();
            let thunk = Thunk::deferred(
                span,
                Box::new(move |ev: &mut Evaluator| {
                    let result = cell.borrow().clone().expect("set before use");
                    let r = ev.force(&result)?;
                    match &r.v {
                        V::Attrs(m) => match m.get(&key) {
                            Some(b) => ev.force(&b.thunk.clone()),
                            None => Ok(Val {
                                v: opaque_val("inputs", span).v,
                                span,
                            }),
                        },
                        _ => Ok(r.clone()),
                    }
                }),
            );
            self_map.insert(name.clone(), binding(thunk));
        }
        let root = self.ev.root.clone();
        self_map.insert("outPath".into(), binding(path(&root)));
        let mut source_info = super::super::eval::AttrMap::new();
        source_info.insert("outPath".into(), binding(path(&root)));
        self_map.insert(
            "sourceInfo".into(),
            binding(Thunk::ready(Val {
                v: V::Attrs(Rc::new(source_info)),
                span,
            })),
        );
        self_map.insert(
            "_type".into(),
            binding(Thunk::ready(Val {
                v: V::Str("flake".into()),
                span,
            })),
        );
        {
            let cell = inputs_cell.clone();
            self_map.insert(
                "inputs".into(),
                binding(Thunk::deferred(
                    span,
                    Box::new(move |ev: &mut Evaluator| {
                        let inputs = cell.borrow().clone().expect("set before use");
                        ev.force(&inputs)
                    }),
                )),
            );
        }
        let self_map = Rc::new(self_map);
        let mut inputs_map = super::super::eval::AttrMap::new();
        for name in names {
            if &*name == "self" {
                continue;
            }
            let thunk = Thunk::ready(self.ev.opaque_select(
                &opaque_val("inputs", span),
                &name,
                span,
            ));
            inputs_map.insert(name, binding(thunk));
        }
        inputs_map.insert(
            "self".into(),
            binding(Thunk::ready(Val {
                v: V::Attrs(self_map.clone()),
                span,
            })),
        );
        let inputs_map = Rc::new(inputs_map);
        let inputs = Thunk::ready(Val {
            v: V::Attrs(inputs_map.clone()),
            span,
        });
        *inputs_cell.borrow_mut() = Some(inputs.clone());
        self.ev.flake_self = Some((inputs_map, self_map));
        let outputs_fn = outputs.clone();
        let result = Thunk::deferred(
            span,
            Box::new(move |ev: &mut Evaluator| ev.apply(outputs_fn, inputs, span)),
        );
        *result_cell.borrow_mut() = Some(result.clone());
        self.ev.force(&result)
    }

    /// The arguments a module function is called with: unknown module arguments, except
    /// `self` and `inputs`, which are the flake and its inputs when discovery knows them (a
    /// flake whose outputs it called itself).
    pub(super) fn module_args(&mut self, function: &Val) -> Thunk {
        let span = function.span;
        let unknown = opaque_val("", span);
        let (V::Lambda(closure), Some((inputs, me))) = (&function.v, &self.ev.flake_self) else {
            return Thunk::ready(unknown);
        };
        // `args@{ … }` may read any argument through `args`: all stay unknown then.
        let Some(rnix::ast::Param::Pattern(pattern)) = closure.lambda.param() else {
            return Thunk::ready(unknown);
        };
        if pattern.pat_bind().is_some() {
            return Thunk::ready(unknown);
        }
        let (inputs, me) = (inputs.clone(), me.clone());
        let mut args = super::super::eval::AttrMap::new();
        for entry in pattern.pat_entries() {
            let Some(ident) = entry.ident() else { continue };
            let name = ident.syntax().text().to_string();
            let value = match name.as_str() {
                "self" => Val {
                    v: V::Attrs(me.clone()),
                    span,
                },
                "inputs" => Val {
                    v: V::Attrs(inputs.clone()),
                    span,
                },
                _ => self.ev.opaque_select(&unknown, &name, span),
            };
            args.insert(
                Rc::from(name.as_str()),
                super::super::eval::Binding {
                    thunk: Thunk::ready(value),
                    key_span: span,
                },
            );
        }
        Thunk::ready(Val {
            v: V::Attrs(Rc::new(args)),
            span,
        })
    }
}
