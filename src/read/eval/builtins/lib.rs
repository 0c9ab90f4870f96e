//! The nixpkgs `lib` functions the reader knows, wherever `lib` comes from (`nixpkgs.lib`,
//! `inputs.nixpkgs.lib`, a module's `lib` argument), at the top level (`lib.filterAttrs`) and in
//! nixpkgs' sub-namespaces (`lib.attrsets.filterAttrs`, `lib.strings.hasPrefix`,
//! `lib.modules.importApply`, …), each under exactly the names nixpkgs gives it (`lib.hasPrefix`
//! is the string one, `lib.lists.hasPrefix` the list one, `lib.importApply` does not exist).
//!
//! Each function is written in Rust from nixpkgs' definition and behaves as it does: the same
//! results, the same laziness (an argument or element nixpkgs never forces is never forced here),
//! and an error wherever nixpkgs fails. They are Rust rather than a Nix prelude so that every
//! value they make and every diagnostic they raise points at the user's call, never into
//! library code. Functions that nixpkgs takes straight from `builtins` (`lib.attrNames`,
//! `lib.filter`, …) are the registry's builtins under a second name. When a value the function
//! needs is unknown (opaque), its result is unknown too, as the rest of the evaluator does.
//!
//! This file holds the lookup, the shared helpers, and the `trivial` and `modules` families;
//! `lib_attrs`, `lib_lists` and `lib_strings` hold the other families.

use super::super::Evaluator;
use super::super::errors::{err, not_static, type_error};
use super::super::value::*;
use super::support::{self, Coerce};
use super::{Builtin, BuiltinDef, Namespace};
use crate::diagnostics::{Diagnostic, Kind, Span};
use crate::read::data::OverrideStyle;
use std::rc::Rc;

/// Where a name lives: bits for the top level of `lib` and its sub-namespaces.
pub(super) const TOP: u8 = 1;
pub(super) const ATTRSETS: u8 = 2;
pub(super) const LISTS: u8 = 4;
pub(super) const STRINGS: u8 = 8;
pub(super) const TRIVIAL: u8 = 16;
pub(super) const MODULES: u8 = 32;

/// A `lib` function implemented here, with the namespaces nixpkgs exports it from.
pub(super) struct LibDef {
    pub(super) ns: u8,
    pub(super) def: BuiltinDef,
}

pub(super) const fn lib_def(
    ns: u8,
    name: &'static str,
    arity: usize,
    run: fn(&mut Evaluator, &[Thunk], Span) -> R,
) -> LibDef {
    LibDef {
        ns,
        def: BuiltinDef { name, arity, run },
    }
}

/// `lib` names that are Nix builtins under the same name, with where nixpkgs exports them.
const BUILTIN_ALIASES: &[(&str, u8)] = &[
    ("attrNames", TOP | ATTRSETS),
    ("attrValues", TOP | ATTRSETS),
    ("listToAttrs", TOP | ATTRSETS),
    ("hasAttr", TOP | ATTRSETS),
    ("getAttr", TOP | ATTRSETS),
    ("removeAttrs", TOP | ATTRSETS),
    ("intersectAttrs", TOP | ATTRSETS),
    ("catAttrs", TOP | ATTRSETS),
    ("mapAttrs", TOP | ATTRSETS),
    ("zipAttrsWith", TOP | ATTRSETS),
    ("isAttrs", TOP | ATTRSETS | STRINGS),
    ("head", TOP | LISTS | STRINGS),
    ("tail", TOP | LISTS | STRINGS),
    ("length", TOP | LISTS),
    ("isList", TOP | LISTS | STRINGS),
    ("elemAt", TOP | LISTS | STRINGS),
    ("concatLists", TOP | LISTS),
    ("filter", TOP | LISTS | STRINGS),
    ("elem", TOP | LISTS | STRINGS),
    ("genList", TOP | LISTS | STRINGS),
    ("map", TOP | LISTS),
    ("concatMap", TOP | LISTS),
    ("any", TOP | LISTS),
    ("all", TOP | LISTS),
    ("partition", TOP | LISTS),
    ("groupBy", TOP | LISTS),
    ("sort", TOP | LISTS),
    ("isString", TOP | STRINGS),
    ("isPath", TOP | STRINGS),
    ("isInt", TOP | STRINGS | TRIVIAL),
    ("isBool", TOP | TRIVIAL),
    ("isFloat", TOP | TRIVIAL),
    ("typeOf", TOP | STRINGS),
    ("stringLength", TOP | STRINGS),
    ("substring", TOP | STRINGS),
    ("replaceStrings", TOP | STRINGS),
    ("match", TOP | STRINGS),
    ("split", TOP | STRINGS),
    ("toJSON", TOP | STRINGS),
    ("fromJSON", TOP | STRINGS),
    ("readFile", TOP | STRINGS | TRIVIAL),
    ("pathExists", TOP | TRIVIAL),
    ("seq", TOP | TRIVIAL),
    ("deepSeq", TOP | TRIVIAL),
    ("toString", TOP),
    ("tryEval", TOP),
    ("baseNameOf", TOP),
    ("dirOf", TOP),
    ("readDir", TOP),
    ("add", TOP | TRIVIAL),
    ("sub", TOP | TRIVIAL),
    ("mul", TOP | TRIVIAL),
    ("div", TOP | TRIVIAL),
    ("lessThan", TOP | TRIVIAL),
    ("bitAnd", TOP | TRIVIAL),
    ("bitOr", TOP | TRIVIAL),
    ("bitXor", TOP | TRIVIAL),
    ("trace", TOP),
    ("splitVersion", TOP),
    ("compareVersions", TOP | STRINGS),
    ("parseDrvName", TOP | STRINGS),
    ("concatStringsSep", TOP | STRINGS),
];

/// `lib` names for a builtin under another name.
const RENAMED_BUILTINS: &[(&str, u8, &str)] = &[("join", TOP | STRINGS, "concatStringsSep")];

/// Sub-namespaces of `lib` whose functions the reader knows.
const NAMESPACES: &[(&str, u8)] = &[
    ("attrsets", ATTRSETS),
    ("lists", LISTS),
    ("strings", STRINGS),
    ("trivial", TRIVIAL),
    ("modules", MODULES),
];

/// The `lib` function `name` at the top level of `lib`.
pub(super) fn find_top(name: &str) -> Option<Builtin> {
    find_in(TOP, name)
}

/// The function `name` in the sub-namespace `namespace` of `lib` (`attrsets`, `lists`, …).
pub fn find_nested(namespace: &str, name: &str) -> Option<Builtin> {
    let bit = NAMESPACES.iter().find(|(n, _)| *n == namespace)?.1;
    find_in(bit, name)
}

fn find_in(bit: u8, name: &str) -> Option<Builtin> {
    let tables: [&'static [LibDef]; 5] = [
        &TRIVIAL_AND_MODULES,
        &super::lib_attrs::ATTRS,
        &super::lib_lists::LISTS_FNS,
        &super::lib_lists::LISTS_ONLY,
        &super::lib_strings::STRINGS_FNS,
    ];
    if let Some(d) = tables
        .iter()
        .flat_map(|t| t.iter())
        .find(|d| d.ns & bit != 0 && d.def.name == name)
    {
        return Some(&d.def);
    }
    // mkForce, mkDefault, mkOverride: the registry's own priority wrappers.
    if bit & (TOP | MODULES) != 0
        && let Some(b) = super::LIB_CORE.iter().find(|b| b.name == name)
    {
        return Some(b);
    }
    let builtin = BUILTIN_ALIASES
        .iter()
        .find(|(n, ns)| *n == name && ns & bit != 0)
        .map(|(n, _)| *n)
        .or_else(|| {
            RENAMED_BUILTINS
                .iter()
                .find(|(n, ns, _)| *n == name && ns & bit != 0)
                .map(|(_, _, b)| *b)
        })?;
    super::find(Namespace::Builtins, builtin)
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the lib families.

pub(super) type R = Result<Val, Diagnostic>;

/// A forced argument: known (`Ok`), or unknown, with the (opaque) result the call then has.
pub(super) type Got<T> = Result<Result<T, Val>, Diagnostic>;

/// Unwraps a `Got`, returning the unknown result from the calling function.
macro_rules! known {
    ($e:expr) => {
        match $e? {
            Ok(x) => x,
            Err(unknown) => return Ok(unknown),
        }
    };
}
pub(super) use known;

/// Forcing arguments is the builtins' (`support`): a list, a set (priority wrappers are the
/// sets nixpkgs makes of them), an integer, a string without coercion.
pub(super) use super::support::{as_attrs, attrs, int, list, string};

pub(super) fn boolean_val(ev: &Evaluator, v: &Val, span: Span) -> Got<bool> {
    match &v.v {
        V::Bool(b) => Ok(Ok(*b)),
        V::Opaque(_) => Ok(Err(ev.opaque_at(v, span))),
        _ => Err(type_error(v.span, "a boolean", v)),
    }
}

pub(super) fn boolean(ev: &mut Evaluator, t: &Thunk, span: Span) -> Got<bool> {
    let v = ev.force(t)?;
    boolean_val(ev, &v, span)
}

/// A value coerced to a string as Nix's `coerceToString` does where only string-like values
/// are allowed (`substring`, `stringLength`, `concatStringsSep`, interpolation): strings, and
/// sets with `__toString` or `outPath`. A path would be copied to the Nix store, whose name the
/// reader cannot know.
pub(super) fn coerce_val(ev: &mut Evaluator, v: &Val, span: Span) -> Got<Rc<str>> {
    Ok(support::coerce(ev, v, Coerce::Copy, span)?.map(Rc::from))
}

pub(super) fn coerce(ev: &mut Evaluator, t: &Thunk, span: Span) -> Got<Rc<str>> {
    let v = ev.force(t)?;
    coerce_val(ev, &v, span)
}

/// `toString`: also numbers, booleans, `null`, lists, and a path as its name.
pub(super) fn to_string(ev: &mut Evaluator, v: &Val, span: Span) -> Got<String> {
    support::coerce(ev, v, Coerce::ToString, span)
}

/// Applies the function behind `f` to `args`, one at a time, as Nix does.
pub(super) fn call(ev: &mut Evaluator, f: &Thunk, args: &[Thunk], span: Span) -> R {
    let fun = ev.force(f)?;
    call_val(ev, fun, args, span)
}

/// Runs `f` one level deeper, so that recursion through lib functions meets the evaluator's
/// depth limit instead of the stack's.
pub(super) use super::support::nested as deeper;

/// A value computed when it is first needed, made at `span` (the call site).
pub(super) fn lazy(span: Span, f: impl FnOnce(&mut Evaluator) -> R + 'static) -> Thunk {
    Thunk::deferred(span, Box::new(move |ev| deeper(ev, span, f)))
}

/// The lazy application `f a b …`. Calling a Nix function counts one level of depth in its
/// body already, so only other functions count one here.
pub(super) fn lazy_call(span: Span, f: Thunk, args: Vec<Thunk>) -> Thunk {
    Thunk::deferred(
        span,
        Box::new(move |ev| {
            let fun = ev.force(&f)?;
            if let V::Lambda(_) = fun.v {
                call_val(ev, fun, &args, span)
            } else {
                deeper(ev, span, |ev| call_val(ev, fun, &args, span))
            }
        }),
    )
}

fn call_val(ev: &mut Evaluator, mut fun: Val, args: &[Thunk], span: Span) -> R {
    for a in args {
        fun = ev.apply(fun, a.clone(), span)?;
    }
    Ok(fun)
}

pub(super) fn ready(v: V, span: Span) -> Thunk {
    Thunk::ready(Val { v, span })
}

pub(super) fn val(v: V, span: Span) -> R {
    Ok(Val { v, span })
}

pub(super) fn list_val(items: Vec<Thunk>, span: Span) -> R {
    val(V::List(items.into()), span)
}

pub(super) fn str_val(s: &str, span: Span) -> R {
    val(V::Str(s.into()), span)
}

/// An attribute set made at `span`; a name given twice keeps its first value, as
/// `listToAttrs` does.
pub(super) fn attrset(entries: impl IntoIterator<Item = (Rc<str>, Thunk)>, span: Span) -> Val {
    let mut map = AttrMap::new();
    for (k, thunk) in entries {
        map.entry(k).or_insert(Binding {
            thunk,
            key_span: span,
        });
    }
    Val {
        v: V::Attrs(Rc::new(map)),
        span,
    }
}

/// A thunk that fails with `message` at `span` when forced (what nixpkgs' lazy errors become).
pub(super) fn failing(span: Span, message: String) -> Thunk {
    lazy(span, move |_| Err(err(Kind::EvalError, span, message)))
}

// ---------------------------------------------------------------------------------------------
// lib.trivial and lib.modules.

static TRIVIAL_AND_MODULES: [LibDef; 29] = [
    lib_def(TOP | TRIVIAL, "id", 1, id),
    lib_def(TOP | TRIVIAL, "const", 2, constant),
    lib_def(TOP | TRIVIAL, "flip", 3, flip),
    lib_def(TOP | TRIVIAL, "pipe", 2, pipe),
    lib_def(TOP | TRIVIAL, "boolToString", 1, bool_to_string),
    lib_def(TOP | TRIVIAL, "mergeAttrs", 2, merge_attrs),
    lib_def(TOP | TRIVIAL, "defaultTo", 2, default_to),
    lib_def(TOP | TRIVIAL, "mapNullable", 2, map_nullable),
    lib_def(TOP | TRIVIAL, "throwIf", 2, throw_if),
    lib_def(TOP | TRIVIAL, "throwIfNot", 2, throw_if_not),
    lib_def(TOP | TRIVIAL, "isFunction", 1, is_function),
    lib_def(TOP | TRIVIAL, "functionArgs", 1, function_args),
    lib_def(TOP | TRIVIAL, "toFunction", 1, to_function),
    lib_def(TOP | TRIVIAL, "importJSON", 1, import_json),
    lib_def(MODULES, "importJSON", 1, module_import_json),
    lib_def(TOP | TRIVIAL, "warn", 2, warn),
    lib_def(TOP | TRIVIAL, "warnIf", 3, warn_if),
    lib_def(TOP | TRIVIAL, "warnIfNot", 3, warn_if_not),
    lib_def(TOP | MODULES, "mkIf", 2, mk_if),
    lib_def(TOP | MODULES, "mkMerge", 1, mk_merge),
    lib_def(TOP | MODULES, "mkOrder", 2, mk_order),
    lib_def(TOP | MODULES, "mkBefore", 1, mk_before),
    lib_def(TOP | MODULES, "mkAfter", 1, mk_after),
    lib_def(TOP | MODULES, "mkOptionDefault", 1, mk_option_default),
    lib_def(
        TOP | MODULES,
        "mkImageMediaOverride",
        1,
        mk_image_media_override,
    ),
    lib_def(TOP | MODULES, "mkVMOverride", 1, mk_vm_override),
    lib_def(TOP | MODULES, "mkAssert", 3, mk_assert),
    lib_def(
        TOP | MODULES,
        "setDefaultModuleLocation",
        2,
        set_default_module_location,
    ),
    lib_def(MODULES, "importApply", 2, import_apply),
];

fn id(ev: &mut Evaluator, a: &[Thunk], _: Span) -> R {
    ev.force(&a[0])
}

fn constant(ev: &mut Evaluator, a: &[Thunk], _: Span) -> R {
    ev.force(&a[0])
}

fn flip(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    call(ev, &a[0], &[a[2].clone(), a[1].clone()], span)
}

/// `pipe x fs` is `builtins.foldl' (x: f: f x) x fs`: each step is computed as it comes.
fn pipe(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let fs = known!(list(ev, &a[1], span));
    let mut acc = a[0].clone();
    let mut last = None;
    for f in fs.iter() {
        let v = call(ev, f, std::slice::from_ref(&acc), span)?;
        acc = Thunk::ready(v.clone());
        last = Some(v);
    }
    match last {
        Some(v) => Ok(v),
        None => ev.force(&a[0]),
    }
}

fn bool_to_string(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let b = known!(boolean(ev, &a[0], span));
    str_val(if b { "true" } else { "false" }, span)
}

fn merge_attrs(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let x = known!(attrs(ev, &a[0], span));
    let y = known!(attrs(ev, &a[1], span));
    let mut merged = (*x).clone();
    for (k, b) in y.iter() {
        merged.insert(k.clone(), b.clone());
    }
    val(V::Attrs(Rc::new(merged)), span)
}

fn is_null(ev: &mut Evaluator, t: &Thunk, span: Span) -> Got<bool> {
    let v = ev.force(t)?;
    match &v.v {
        V::Null => Ok(Ok(true)),
        V::Opaque(_) => Ok(Err(ev.opaque_at(&v, span))),
        _ => Ok(Ok(false)),
    }
}

fn default_to(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    if known!(is_null(ev, &a[1], span)) {
        ev.force(&a[0])
    } else {
        ev.force(&a[1])
    }
}

fn map_nullable(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    if known!(is_null(ev, &a[1], span)) {
        ev.force(&a[1])
    } else {
        call(ev, &a[0], &a[1..2], span)
    }
}

fn throw_message(ev: &mut Evaluator, t: &Thunk, span: Span) -> R {
    let message = known!(string(ev, t, span));
    Err(super::control::thrown(span, &message))
}

fn identity(span: Span) -> R {
    val(
        V::Builtin(&TRIVIAL_AND_MODULES[0].def, Rc::from(vec![])),
        span,
    )
}

fn throw_if(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    if known!(boolean(ev, &a[0], span)) {
        throw_message(ev, &a[1], span)
    } else {
        identity(span)
    }
}

fn throw_if_not(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    if known!(boolean(ev, &a[0], span)) {
        identity(span)
    } else {
        throw_message(ev, &a[1], span)
    }
}

/// `lib.isFunction f`: a function, or a set whose `__functor` gives one for it. `None` when
/// that cannot be known.
fn function_like(ev: &mut Evaluator, t: &Thunk, span: Span) -> Got<bool> {
    let f = ev.force(t)?;
    let functor = match &f.v {
        V::Lambda(_) | V::Builtin(..) => return Ok(Ok(true)),
        V::Opaque(_) => return Ok(Err(ev.opaque_at(&f, span))),
        V::Attrs(map) => match map.get("__functor") {
            Some(b) => b.thunk.clone(),
            None => return Ok(Ok(false)),
        },
        _ => return Ok(Ok(false)),
    };
    let applied = call(ev, &functor, std::slice::from_ref(t), span)?;
    match applied.v {
        V::Lambda(_) | V::Builtin(..) => Ok(Ok(true)),
        V::Opaque(_) => Ok(Err(ev.opaque_at(&applied, span))),
        _ => Ok(Ok(false)),
    }
}

fn is_function(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let b = known!(function_like(ev, &a[0], span));
    val(V::Bool(b), span)
}

/// `lib.functionArgs f`: a functor's `__functionArgs`, or the arguments of the function it
/// gives, or `builtins.functionArgs f`.
fn function_args(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let Some(builtin) = super::find(Namespace::Builtins, "functionArgs") else {
        let f = ev.force(&a[0])?;
        return Err(not_static(
            span,
            &format!("the arguments of {}", type_name(&f)),
        ));
    };
    let f = ev.force(&a[0])?;
    let target = match &f.v {
        V::Attrs(map) => match (map.get("__functor"), map.get("__functionArgs")) {
            (Some(_), Some(args)) => return ev.force(&args.thunk.clone()),
            (Some(functor), None) => {
                let functor = functor.thunk.clone();
                Thunk::ready(call(ev, &functor, &a[..1], span)?)
            }
            _ => a[0].clone(),
        },
        V::Opaque(_) => return Ok(ev.opaque_at(&f, span)),
        _ => a[0].clone(),
    };
    (builtin.run)(ev, &[target], span)
}

fn to_function(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    if known!(function_like(ev, &a[0], span)) {
        ev.force(&a[0])
    } else {
        val(V::Builtin(&CONST_OF, Rc::from(a.to_vec())), span)
    }
}

/// `k: v`, the function `toFunction` makes of a value.
static CONST_OF: BuiltinDef = BuiltinDef {
    name: "toFunction",
    arity: 2,
    run: constant,
};

/// `lib.importJSON path` is `builtins.fromJSON (builtins.readFile path)`.
fn import_json(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let text = super::files::read_file(ev, a, span)?;
    super::json::from_json(ev, &[Thunk::ready(text)], span)
}

/// `lib.modules.importJSON file` is the module `{ _file = file; config = lib.importJSON file; }`.
fn module_import_json(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let file = a[0].clone();
    let config = lazy(span, move |ev| import_json(ev, &[file], span));
    Ok(attrset(
        [("_file".into(), a[0].clone()), ("config".into(), config)],
        span,
    ))
}

/// `lib.warn msg v` is `v` once `msg` is known to be a string (Nix 2.8 prints `msg` with
/// `builtins.trace`; the reader has nowhere to print it).
fn warn(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let msg = ev.force(&a[0])?;
    match msg.v {
        V::Str(_) => ev.force(&a[1]),
        V::Opaque(_) => Ok(ev.opaque_at(&msg, span)),
        // `assert isString msg`, which `tryEval` catches.
        _ => Err(err(Kind::EvalError, span, "assertion failed")),
    }
}

fn warn_if(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    if known!(boolean(ev, &a[0], span)) {
        warn(ev, &a[1..], span)
    } else {
        ev.force(&a[2])
    }
}

fn warn_if_not(ev: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    if known!(boolean(ev, &a[0], span)) {
        ev.force(&a[2])
    } else {
        warn(ev, &a[1..], span)
    }
}

/// `{ _type = kind; <field> = …; … }`, as nixpkgs' module properties are.
fn property(kind: &str, fields: &[(&str, Thunk)], span: Span) -> R {
    let mut entries = vec![("_type".into(), ready(V::Str(kind.into()), span))];
    entries.extend(fields.iter().map(|(k, t)| ((*k).into(), t.clone())));
    Ok(attrset(entries, span))
}

fn mk_if(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    property(
        "if",
        &[("condition", a[0].clone()), ("content", a[1].clone())],
        span,
    )
}

fn mk_merge(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    property("merge", &[("contents", a[0].clone())], span)
}

fn mk_order(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    property(
        "order",
        &[("priority", a[0].clone()), ("content", a[1].clone())],
        span,
    )
}

fn mk_before(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let p = ready(V::Int(500), span);
    property("order", &[("priority", p), ("content", a[0].clone())], span)
}

fn mk_after(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let p = ready(V::Int(1500), span);
    property("order", &[("priority", p), ("content", a[0].clone())], span)
}

fn overriding(a: &[Thunk], span: Span, priority: i64) -> R {
    val(
        V::Override {
            priority,
            style: OverrideStyle::Override,
            content: a[0].clone(),
        },
        span,
    )
}

fn mk_option_default(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    overriding(a, span, 1500)
}

fn mk_image_media_override(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    overriding(a, span, 60)
}

fn mk_vm_override(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    overriding(a, span, 10)
}

/// `mkAssert assertion message content` is `mkIf` whose condition fails when forced.
fn mk_assert(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let (assertion, message) = (a[0].clone(), a[1].clone());
    let condition = lazy(span, move |ev| {
        if known!(boolean(ev, &assertion, span)) {
            val(V::Bool(true), span)
        } else {
            let m = known!(string(ev, &message, span));
            Err(super::control::thrown(
                span,
                &format!("\nFailed assertion: {m}"),
            ))
        }
    });
    property(
        "if",
        &[("condition", condition), ("content", a[2].clone())],
        span,
    )
}

fn set_default_module_location(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    Ok(attrset(
        [
            ("_file".into(), a[0].clone()),
            (
                "imports".into(),
                ready(V::List(Rc::from(vec![a[1].clone()])), span),
            ),
        ],
        span,
    ))
}

/// `importApply path arg` is `{ _file = path; imports = [ (import path arg) ]; }`.
fn import_apply(_: &mut Evaluator, a: &[Thunk], span: Span) -> R {
    let (path, arg) = (a[0].clone(), a[1].clone());
    let path_for_import = path.clone();
    let module = lazy(span, move |ev| {
        let imported = super::files::import(ev, std::slice::from_ref(&path_for_import), span)?;
        ev.apply(imported, arg, span)
    });
    Ok(attrset(
        [
            ("_file".into(), path),
            (
                "imports".into(),
                ready(V::List(Rc::from(vec![module])), span),
            ),
        ],
        span,
    ))
}
