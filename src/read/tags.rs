//! `inventory.tags` written as a module function, as clan-core evaluates it:
//! `{ config, machines, ... }: { backup = builtins.filter (n: n != "x") config.nixos; }`.
//!
//! clan-core's `tags` option is a submodule whose `config.<tag>` is the merge of every
//! definition of that tag: the built-in `all`, `nixos` and `darwin` (defaults, computed from
//! the machines and their `machineClass`) unless the inventory defines them, the tags written
//! as data, and what each tag function returns — a fixpoint, so a function sees the other
//! functions' tags too. Here `config` is built lazily from the same parts, each function is
//! applied once, and what it returns is read as one more `{ tags = …; }` definition of the
//! inventory. Its other arguments are `machines` (the merged `inventory.machines`), `lib`,
//! `options` and `name`.

use super::data::{Data, DataKind, Entry};
use super::eval::{AttrMap, Binding, Evaluator, Thunk, V, Val, data_to_val, opaque_val};
use crate::diagnostics::{Diagnostic, Span};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// A tag function found in an inventory definition: its value and where `tags` was written.
pub struct TagFunction {
    pub value: Val,
    pub key_span: Span,
}

/// Applies the tag functions to the merged inventory (without them) and returns one
/// inventory definition per function, plus the problems found.
pub fn compute(
    ev: &mut Evaluator,
    functions: &[TagFunction],
    merged: Option<&Data>,
) -> (Vec<Data>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    if functions.is_empty() {
        return (Vec::new(), diagnostics);
    }
    let attrs = merged.and_then(Data::as_attrs);
    let machines = attrs
        .and_then(|a| a.get("machines"))
        .map(|e| e.value.clone());
    let static_tags: BTreeMap<String, Data> = attrs
        .and_then(|a| a.get("tags"))
        .and_then(|e| e.value.as_attrs())
        .map(|t| {
            t.iter()
                .map(|(k, e)| (k.clone(), strip(&e.value).clone()))
                .collect()
        })
        .unwrap_or_default();
    let builtin = builtin_tags(machines.as_ref());

    let span = functions[0].key_span;
    let results: Rc<RefCell<Vec<Thunk>>> = Rc::new(RefCell::new(Vec::new()));
    let config = {
        let results = results.clone();
        Thunk::deferred(
            span,
            Box::new(move |ev: &mut Evaluator| {
                config_value(ev, &results, static_tags, builtin, span)
            }),
        )
    };
    let machines_val = match &machines {
        Some(m) => Thunk::ready(data_to_val(m.clone())),
        None => Thunk::ready(Val {
            v: V::Attrs(Rc::new(AttrMap::new())),
            span,
        }),
    };
    for f in functions {
        let mut arg = AttrMap::new();
        let mut bind = |name: &str, thunk: Thunk| {
            arg.insert(
                name.into(),
                Binding {
                    thunk,
                    key_span: f.key_span,
                },
            );
        };
        bind("config", config.clone());
        bind("machines", machines_val.clone());
        bind("lib", Thunk::ready(opaque_val("lib", f.key_span)));
        bind("options", Thunk::ready(opaque_val("options", f.key_span)));
        bind(
            "name",
            Thunk::ready(Val {
                v: V::Str("tags".into()),
                span: f.key_span,
            }),
        );
        let arg = Thunk::ready(Val {
            v: V::Attrs(Rc::new(arg)),
            span: f.key_span,
        });
        let function = f.value.clone();
        let call_span = f.key_span;
        results.borrow_mut().push(Thunk::deferred(
            call_span,
            Box::new(move |ev: &mut Evaluator| ev.apply(function, arg, call_span)),
        ));
    }

    let thunks: Vec<Thunk> = results.borrow().clone();
    let mut defs = Vec::new();
    for (f, result) in functions.iter().zip(thunks) {
        let data = match ev.force(&result) {
            Ok(Val {
                v: V::Attrs(map), ..
            }) => {
                let mut entries = BTreeMap::new();
                let mut ok = true;
                for (tag, binding) in map.iter() {
                    match ev.force_data(&binding.thunk, false) {
                        Ok(value) => {
                            entries.insert(
                                tag.to_string(),
                                Entry {
                                    key_span: binding.key_span,
                                    value,
                                },
                            );
                        }
                        Err(d) => {
                            diagnostics.push(d);
                            ok = false;
                        }
                    }
                }
                ok.then(|| Data::new(DataKind::Attrs(entries), f.value.span))
            }
            Ok(other) => {
                diagnostics.push(
                    Diagnostic::at(
                        crate::diagnostics::Kind::WrongType,
                        other.span,
                        format!(
                            "the `inventory.tags` function must return an attribute set of tag lists, found {}",
                            super::eval::type_name(&other)
                        ),
                    )
                    .with_label("returned here"),
                );
                None
            }
            Err(d) => {
                diagnostics.push(d);
                None
            }
        };
        if let Some(tags) = data {
            let mut top = BTreeMap::new();
            top.insert(
                "tags".to_string(),
                Entry {
                    key_span: f.key_span,
                    value: tags,
                },
            );
            defs.push(Data::new(DataKind::Attrs(top), f.value.span));
        }
    }
    (defs, diagnostics)
}

fn strip(d: &Data) -> &Data {
    match &d.kind {
        DataKind::Override { content, .. } => strip(content),
        _ => d,
    }
}

/// `all`, `nixos` and `darwin` as clan-core computes them: every machine, and those of each
/// class (`machineClass` defaults to `nixos`), in name order.
fn builtin_tags(machines: Option<&Data>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = ["all", "nixos", "darwin"]
        .iter()
        .map(|t| (t.to_string(), Vec::new()))
        .collect();
    let Some(machines) = machines.and_then(Data::as_attrs) else {
        return out;
    };
    for (name, entry) in machines {
        let class = entry
            .value
            .as_attrs()
            .and_then(|m| m.get("machineClass"))
            .and_then(|c| strip(&c.value).as_str().map(str::to_string))
            .unwrap_or_else(|| "nixos".to_string());
        out.get_mut("all").expect("built above").push(name.clone());
        if let Some(list) = out.get_mut(class.as_str()) {
            list.push(name.clone());
        }
    }
    out
}

/// The tags submodule's `config`: every tag any part defines, each the concatenation of its
/// definitions (the built-in value only when nothing else defines the tag).
fn config_value(
    ev: &mut Evaluator,
    results: &Rc<RefCell<Vec<Thunk>>>,
    static_tags: BTreeMap<String, Data>,
    builtin: BTreeMap<String, Vec<String>>,
    span: Span,
) -> Result<Val, Diagnostic> {
    let results: Vec<Thunk> = results.borrow().clone();
    let mut forced = Vec::with_capacity(results.len());
    for r in &results {
        forced.push(ev.force(r)?);
    }
    let mut names: BTreeSet<String> = builtin.keys().cloned().collect();
    names.extend(static_tags.keys().cloned());
    for r in &forced {
        if let V::Attrs(m) = &r.v {
            names.extend(m.keys().map(|k| k.to_string()));
        }
    }
    let forced = Rc::new(forced);
    let mut map = AttrMap::new();
    for name in names {
        let static_def = static_tags.get(&name).cloned();
        let default: Vec<String> = builtin.get(&name).cloned().unwrap_or_default();
        let forced = forced.clone();
        let key: Rc<str> = name.as_str().into();
        let key2 = key.clone();
        let thunk = Thunk::deferred(
            span,
            Box::new(move |ev: &mut Evaluator| {
                let mut items: Vec<Thunk> = Vec::new();
                let mut defined = false;
                if let Some(d) = static_def {
                    defined = true;
                    match data_to_val(d) {
                        Val {
                            v: V::List(list), ..
                        } => items.extend(list.iter().cloned()),
                        other => {
                            return Err(not_a_list(&other));
                        }
                    }
                }
                for r in forced.iter() {
                    if let V::Attrs(m) = &r.v
                        && let Some(b) = m.get(&key2)
                    {
                        defined = true;
                        let v = ev.force(&b.thunk)?;
                        match &v.v {
                            V::List(list) => items.extend(list.iter().cloned()),
                            _ => return Err(not_a_list(&v)),
                        }
                    }
                }
                if !defined {
                    items = default
                        .into_iter()
                        .map(|n| {
                            Thunk::ready(Val {
                                v: V::Str(n.into()),
                                span,
                            })
                        })
                        .collect();
                }
                Ok(Val {
                    v: V::List(items.into()),
                    span,
                })
            }),
        );
        map.insert(
            key,
            Binding {
                thunk,
                key_span: span,
            },
        );
    }
    Ok(Val {
        v: V::Attrs(Rc::new(map)),
        span,
    })
}

fn not_a_list(v: &Val) -> Diagnostic {
    Diagnostic::at(
        crate::diagnostics::Kind::WrongType,
        v.span,
        format!(
            "a tag must be a list of machine names, found {}",
            super::eval::type_name(v)
        ),
    )
}
