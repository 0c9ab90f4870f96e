//! Differential tests of the nixpkgs `lib` functions the reader knows, one test per function:
//! every case is evaluated by inventory-gen's evaluator (with `lib` the opaque nixpkgs `lib`)
//! and by `nix-instantiate --eval --strict --json` with `lib = import <nixpkgs/lib>`; both must
//! give the same value, or both fail. The cases cover results, laziness (an unused `throw` is
//! never forced where nixpkgs does not force it), errors, and the sub-namespaces
//! (`lib.attrsets.X`, `lib.lists.X`, …). Skipped, with a SKIP line, without `<nixpkgs/lib>`.
//!
//! Helpers inside cases use only lib functions under test and the language itself, e.g. a
//! list's length that forces no element: `lib.foldr (_: n: n + 1) 0 l`.

mod common;

use common::{differential, have_nixpkgs_lib, repo_root};

fn check(test: &str, cases: &[(&str, &str)]) {
    if !have_nixpkgs_lib(test) {
        return;
    }
    let dir = repo_root().join("tests/lib_functions");
    // Cases not named `error-…` must succeed in Nix, so that "both fail" never hides a
    // mistake in a case.
    let mut batch = String::from("let lib = import <nixpkgs/lib>; in {\n");
    for (i, (name, expr)) in cases.iter().enumerate() {
        if !name.starts_with("error") {
            batch.push_str(&format!("c{i} = ({expr}\n);\n"));
        }
    }
    batch.push('}');
    if let Err(e) = common::nix_eval_json(&dir, &batch) {
        panic!("{test}: a case not named `error-…` fails in Nix: {e}");
    }
    // And those named `error-…` fail in Nix.
    for (name, expr) in cases.iter().filter(|(name, _)| name.starts_with("error")) {
        let nix = format!("let lib = import <nixpkgs/lib>; in ({expr}\n)");
        if let Ok(v) = common::nix_eval_json(&dir, &nix) {
            panic!("{test}: case {name} succeeds in Nix (with {v})");
        }
    }
    let mismatches = differential(&dir, cases, true);
    assert!(
        mismatches.is_empty(),
        "{test}: {} of {} cases differ from nixpkgs' lib:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}

/// One `#[test]` per lib function, named after it, with its cases.
macro_rules! lib_tests {
    ($($name:ident: [$(($case:expr, $expr:expr)),* $(,)?];)*) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name), &[$(($case, $expr)),*]);
            }
        )*
    };
}

lib_tests! {
    recursive_update: [
        ("nested", "lib.recursiveUpdate { a.b = 1; a.c = 2; d = 3; } { a.c = 4; e = 5; }"),
        ("rhs-wins-non-set", "lib.recursiveUpdate { a.b = 1; } { a = 2; }"),
        ("set-replaces-value", "lib.recursiveUpdate { a = 1; } { a.b = 2; }"),
        ("empty", "lib.recursiveUpdate { } { }"),
        ("lazy-left-only", "(lib.recursiveUpdate { a = throw \"no\"; b = 1; } { c = 2; }).b"),
        ("lazy-right-value", "(lib.recursiveUpdate { a = 1; } { a = throw \"no\"; b = 2; }).b"),
        ("names-without-values", "lib.mapAttrsToList (n: v: n) (lib.recursiveUpdate { a = throw \"x\"; b = 0; } { a = throw \"y\"; c = throw \"z\"; })"),
        ("deep", "lib.recursiveUpdate { x.y.z = 1; x.y.w = 2; } { x.y.z = 3; x.v = 4; }"),
        ("fold", "lib.foldl' lib.recursiveUpdate { } [ { a.b = 1; } { a.c = 2; } { a.b = 3; } ]"),
        ("foldr", "lib.foldr lib.recursiveUpdate { } [ { a.b = 1; } { a.c = 2; } { a.b = 3; } ]"),
        ("lists-kept-whole", "lib.recursiveUpdate { a = [ 1 ]; } { a = [ 2 ]; }"),
        ("filter-then-merge", "lib.recursiveUpdate (lib.filterAttrs (n: v: v != null) { a = null; b.c = 1; }) { b.d = 2; }"),
        ("override-as-set", "lib.recursiveUpdate { a = lib.mkForce 1; } { a.b = 2; }"),
        ("error-not-set", "lib.recursiveUpdate 1 { }"),
        ("error-rhs-not-set", "lib.recursiveUpdate { } [ ]"),
    ];
    recursive_update_until: [
        ("stop-at-depth-1", "lib.recursiveUpdateUntil (path: l: r: path == [ \"a\" ]) { a.b = 1; c.d = 1; } { a.e = 2; c.f = 2; }"),
        ("never-stop-on-sets", "lib.recursiveUpdateUntil (p: l: r: false) { a.b = 1; } { a.c = 2; }"),
        ("pred-sees-lhs-then-rhs", "lib.recursiveUpdateUntil (p: l: r: l == 1 && r == 2) { a = 1; } { a = 2; }"),
        ("error-pred-not-bool", "lib.recursiveUpdateUntil (p: l: r: 1) { a = 1; } { a = 2; }"),
    ];
    filter_attrs: [
        ("by-value", "lib.filterAttrs (n: v: v > 1) { a = 1; b = 2; c = 3; }"),
        ("by-name", "lib.filterAttrs (n: v: n != \"b\") { a = 1; b = 2; }"),
        ("empty", "lib.filterAttrs (n: v: true) { }"),
        ("values-stay-lazy", "(lib.filterAttrs (n: v: n == \"a\" || n == \"b\") { a = 1; b = throw \"no\"; c = 3; }).a"),
        ("nested-namespace", "lib.attrsets.filterAttrs (n: v: v) { x = true; y = false; }"),
        ("error-pred-not-bool", "lib.filterAttrs (n: v: v) { a = 1; }"),
        ("error-not-set", "lib.filterAttrs (n: v: true) [ 1 ]"),
    ];
    filter_attrs_recursive: [
        ("nested", "lib.filterAttrsRecursive (n: v: v != null) { a = null; b = { c = null; d = 1; }; }"),
        ("lazy", "(lib.filterAttrsRecursive (n: v: n != \"x\") { a = 1; b = throw \"no\"; }).a"),
    ];
    map_attrs_prime: [
        ("rename", "lib.mapAttrs' (n: v: lib.nameValuePair \"x-${n}\" (v * 2)) { a = 1; b = 2; }"),
        ("first-name-wins", "lib.mapAttrs' (n: v: lib.nameValuePair \"same\" v) { a = 1; b = 2; }"),
        ("values-lazy", "(lib.mapAttrs' (n: v: lib.nameValuePair n v) { a = 1; b = throw \"no\"; }).a"),
        ("empty", "lib.mapAttrs' (n: v: throw \"no\") { }"),
        ("error-not-pair", "lib.mapAttrs' (n: v: 1) { a = 1; }"),
        ("error-no-name", "lib.mapAttrs' (n: v: { value = v; }) { a = 1; }"),
        ("error-name-not-string", "lib.mapAttrs' (n: v: lib.nameValuePair 1 v) { a = 1; }"),
        ("later-duplicate-needs-no-value", "lib.mapAttrs' (n: v: if n == \"a\" then lib.nameValuePair \"x\" 1 else { name = \"x\"; }) { a = 1; b = 2; }"),
        ("error-first-without-value", "lib.mapAttrs' (n: v: { name = \"x\"; }) { a = 1; }"),
    ];
    map_attrs_to_list: [
        ("pairs", "lib.mapAttrsToList (n: v: \"${n}=${v}\") { b = \"2\"; a = \"1\"; }"),
        ("lazy-elements", "lib.last (lib.mapAttrsToList (n: v: if n == \"a\" then throw \"no\" else v) { a = 1; b = 2; })"),
        ("empty", "lib.mapAttrsToList (n: v: v) { }"),
        ("error-not-set", "lib.mapAttrsToList (n: v: v) null"),
    ];
    name_value_pair: [
        ("pair", "lib.nameValuePair \"a\" 1"),
        ("lazy-value", "(lib.nameValuePair \"a\" (throw \"no\")).name"),
        ("attrsets", "lib.attrsets.nameValuePair \"x\" [ ]"),
    ];
    gen_attrs: [
        ("names", "lib.genAttrs [ \"a\" \"b\" ] (n: n + n)"),
        ("duplicate-first-wins", "lib.genAttrs [ \"a\" \"a\" ] (n: 1)"),
        ("values-lazy", "(lib.genAttrs [ \"a\" \"b\" ] (n: if n == \"b\" then throw \"no\" else 1)).a"),
        ("empty", "lib.genAttrs [ ] (n: throw \"no\")"),
        ("error-name-not-string", "lib.genAttrs [ 1 ] (n: n)"),
        ("error-not-list", "lib.genAttrs \"a\" (n: n)"),
    ];
    gen_attrs_prime: [
        ("pairs", "lib.genAttrs' [ \"a\" \"b\" ] (x: lib.nameValuePair \"n${x}\" x)"),
    ];
    optional: [
        ("true", "lib.optional true 1"),
        ("false", "lib.optional false 1"),
        ("lazy-element", "lib.foldr (_: n: n + 1) 0 (lib.optional true (throw \"no\"))"),
        ("false-never-forces", "lib.optional false (throw \"no\")"),
        ("error-cond", "lib.optional 1 2"),
    ];
    optionals: [
        ("true", "lib.optionals true [ 1 2 ]"),
        ("false", "lib.optionals false [ 1 2 ]"),
        ("false-lazy", "lib.optionals false (throw \"no\")"),
        ("no-type-check", "lib.optionals true 5"),
        ("error-cond", "lib.optionals null [ ]"),
    ];
    optional_attrs: [
        ("true", "lib.optionalAttrs true { a = 1; }"),
        ("false", "lib.optionalAttrs false { a = 1; }"),
        ("false-lazy", "lib.optionalAttrs false (throw \"no\")"),
        ("merge", "{ a = 1; } // lib.optionalAttrs (1 < 2) { b = 2; }"),
        ("error-cond", "lib.optionalAttrs \"yes\" { }"),
    ];
    optional_string: [
        ("true", "lib.optionalString true \"x\""),
        ("false", "lib.optionalString false \"x\""),
        ("false-lazy", "lib.optionalString false (throw \"no\")"),
        ("interpolated", "\"a${lib.optionalString true \"-b\"}\""),
        ("error-cond", "lib.optionalString [ ] \"x\""),
    ];
    has_prefix: [
        ("yes", "lib.hasPrefix \"foo\" \"foobar\""),
        ("no", "lib.hasPrefix \"bar\" \"foobar\""),
        ("empty-prefix", "lib.hasPrefix \"\" \"x\""),
        ("longer-prefix", "lib.hasPrefix \"foobar\" \"foo\""),
        ("unicode", "lib.hasPrefix \"é\" \"éa\""),
        ("out-path", "lib.hasPrefix \"a\" { outPath = \"abc\"; }"),
        ("strings-namespace", "lib.strings.hasPrefix \"a\" \"ab\""),
        ("lists-namespace-is-lists", "lib.lists.hasPrefix [ 1 ] [ 1 2 ]"),
        ("lists-namespace-no", "lib.lists.hasPrefix [ 2 ] [ 1 2 ]"),
        ("error-int", "lib.hasPrefix \"a\" 1"),
        ("error-list-prefix", "lib.hasPrefix [ ] \"a\""),
    ];
    has_suffix: [
        ("yes", "lib.hasSuffix \".nix\" \"default.nix\""),
        ("no", "lib.hasSuffix \".nix\" \"default.json\""),
        ("empty", "lib.hasSuffix \"\" \"\""),
        ("longer", "lib.hasSuffix \"abc\" \"bc\""),
        ("filter", "lib.foldr (x: acc: lib.optional (lib.hasSuffix \".nix\" x) x ++ acc) [ ] [ \"a.nix\" \"b\" \"c.nix\" ]"),
        ("error-int", "lib.hasSuffix \"a\" 1"),
    ];
    has_infix: [
        ("yes", "lib.hasInfix \"ob\" \"foobar\""),
        ("no", "lib.hasInfix \"x\" \"foobar\""),
        ("empty", "lib.hasInfix \"\" \"\""),
        ("newline", "lib.hasInfix \"b\" \"a\\nb\""),
        ("regex-chars", "lib.hasInfix \".*\" \"a.*b\""),
    ];
    remove_prefix: [
        ("removed", "lib.removePrefix \"foo.\" \"foo.bar\""),
        ("absent", "lib.removePrefix \"x\" \"foo\""),
        ("whole", "lib.removePrefix \"foo\" \"foo\""),
        ("empty", "lib.removePrefix \"\" \"foo\""),
        ("unicode", "lib.removePrefix \"é\" \"éa\""),
        ("out-path-kept", "(lib.removePrefix \"x\" { outPath = \"abc\"; a = 1; }).a"),
        ("lists-namespace", "lib.lists.removePrefix [ 1 ] [ 1 2 3 ]"),
        ("error-lists-namespace", "lib.lists.removePrefix [ 2 ] [ 1 2 3 ]"),
        ("error-int", "lib.removePrefix \"a\" 5"),
    ];
    remove_suffix: [
        ("removed", "lib.removeSuffix \".nix\" \"default.nix\""),
        ("absent", "lib.removeSuffix \".nix\" \"default\""),
        ("whole", "lib.removeSuffix \"abc\" \"abc\""),
        ("longer", "lib.removeSuffix \"xabc\" \"abc\""),
        ("error-list", "lib.removeSuffix \"a\" [ ]"),
    ];
    foldl_strict: [
        ("sum", "lib.foldl' (a: b: a + b) 0 [ 1 2 3 ]"),
        ("empty", "lib.foldl' (a: b: a + b) 7 [ ]"),
        ("order", "lib.foldl' (a: b: a + b) \"\" [ \"a\" \"b\" \"c\" ]"),
        ("error-forces-initial", "lib.foldl' (a: b: b) (throw \"no\") [ 1 ]"),
        ("error-steps-forced", "lib.foldl' (a: b: if b == 2 then throw \"no\" else b) 0 [ 1 2 3 ]"),
        ("elements-lazy", "lib.foldl' (a: b: a + 1) 0 [ (throw \"no\") (throw \"no\") ]"),
        ("lists-namespace", "lib.lists.foldl' (a: b: a ++ [ b ]) [ ] [ 1 2 ]"),
        ("error-not-list", "lib.foldl' (a: b: a) 0 1"),
    ];
    foldl: [
        ("order", "lib.foldl (a: b: \"(${a}${b})\") \"\" [ \"a\" \"b\" \"c\" ]"),
        ("lazy-accumulator", "lib.foldl (a: b: b) (throw \"no\") [ 1 2 ]"),
        ("empty", "lib.foldl (a: b: a) 3 [ ]"),
    ];
    foldr: [
        ("order", "lib.foldr (a: b: \"(${a}${b})\") \"\" [ \"a\" \"b\" \"c\" ]"),
        ("lazy-accumulator", "lib.foldr (x: acc: x) 0 [ 1 (throw \"no\") ]"),
        ("length-without-elements", "lib.foldr (_: n: n + 1) 0 [ (throw \"a\") (throw \"b\") ]"),
        ("empty", "lib.foldr (a: b: a) \"nul\" [ ]"),
        ("fold-alias", "lib.fold (a: b: a + b) 0 [ 1 2 3 ]"),
        ("error-not-list", "lib.foldr (a: b: a) 0 { }"),
    ];
    flatten: [
        ("nested", "lib.flatten [ 1 [ 2 [ 3 [ ] ] ] [ [ 4 ] ] ]"),
        ("scalar", "lib.flatten 5"),
        ("empty", "lib.flatten [ ]"),
        ("sets-kept", "lib.flatten [ { a = [ 1 ]; } ]"),
        ("error-elements-forced", "lib.foldr (_: n: n + 1) 0 (lib.flatten [ 1 (throw \"no\") ])"),
    ];
    unique: [
        ("ints", "lib.unique [ 3 1 3 2 1 ]"),
        ("mixed", "lib.unique [ \"a\" 1 \"a\" { x = 1; } { x = 1; } [ ] [ ] ]"),
        ("empty", "lib.unique [ ]"),
        ("single-lazy", "lib.foldr (_: n: n + 1) 0 (lib.unique [ (throw \"no\") ])"),
        ("int-float", "lib.unique [ 1 1.0 ]"),
        ("same-function", "let f = x: x; in lib.foldr (_: n: n + 1) 0 (lib.unique [ f f (x: x) ])"),
        ("derivations-by-outPath", "lib.foldr (_: n: n + 1) 0 (lib.unique [ { type = \"derivation\"; outPath = \"/x\"; a = 1; } { type = \"derivation\"; outPath = \"/x\"; a = 2; } ])"),
        ("all-unique", "[ (lib.allUnique [ 1 2 ]) (lib.allUnique [ 1 1 ]) ]"),
        ("error-not-list", "lib.unique 1"),
    ];
    concat_strings_sep: [
        ("join", "lib.concatStringsSep \", \" [ \"a\" \"b\" \"c\" ]"),
        ("empty", "lib.concatStringsSep \",\" [ ]"),
        ("one", "lib.concatStringsSep \",\" [ \"a\" ]"),
        ("out-path", "lib.concatStringsSep \"/\" [ { outPath = \"x\"; } \"y\" ]"),
        ("to-string", "lib.concatStringsSep \"\" [ { __toString = self: \"s\"; } ]"),
        ("strings-namespace", "lib.strings.concatStringsSep \"-\" [ \"a\" \"b\" ]"),
        ("join-alias", "lib.join \"+\" [ \"a\" \"b\" ]"),
        ("error-int", "lib.concatStringsSep \",\" [ 1 ]"),
        ("error-sep", "lib.concatStringsSep 1 [ \"a\" ]"),
    ];
    concat_map_strings_sep: [
        ("map", "lib.concatMapStringsSep \"\\n\" (x: \"- ${x}\") [ \"a\" \"b\" ]"),
        ("empty", "lib.concatMapStringsSep \",\" (x: throw \"no\") [ ]"),
        ("concatMapStrings", "lib.concatMapStrings (x: x + x) [ \"a\" \"b\" ]"),
        ("concatStrings", "lib.concatStrings [ \"a\" \"b\" ]"),
        ("concatLines", "[ (lib.concatLines [ \"a\" \"b\" ]) (lib.concatLines [ ]) ]"),
        ("error-result", "lib.concatMapStringsSep \",\" (x: x) [ 1 ]"),
    ];
    attr_by_path: [
        ("found", "lib.attrByPath [ \"a\" \"b\" ] 0 { a.b = 1; }"),
        ("missing", "lib.attrByPath [ \"a\" \"c\" ] 0 { a.b = 1; }"),
        ("through-non-set", "lib.attrByPath [ \"a\" \"b\" ] 0 { a = 1; }"),
        ("empty-path", "lib.attrByPath [ ] 0 { a = 1; }"),
        ("default-lazy", "lib.attrByPath [ \"a\" ] (throw \"no\") { a = 1; }"),
        ("has-attr-by-path", "[ (lib.hasAttrByPath [ \"a\" \"b\" ] { a.b = 1; }) (lib.hasAttrByPath [ \"a\" \"c\" ] { a.b = 1; }) (lib.hasAttrByPath [ ] 1) ]"),
        ("get-attr-from-path", "lib.getAttrFromPath [ \"a\" \"b\" ] { a.b = 1; }"),
        ("error-get-attr-from-path-missing", "lib.getAttrFromPath [ \"a\" \"x\" ] { a.b = 1; }"),
        ("error-path-element", "lib.attrByPath [ 1 ] 0 { }"),
    ];
    set_attr_by_path: [
        ("nested", "lib.setAttrByPath [ \"a\" \"b\" ] 1"),
        ("empty-path", "lib.setAttrByPath [ ] 1"),
        ("inner-lazy", "lib.mapAttrsToList (n: v: n) (lib.setAttrByPath [ \"a\" (throw \"no\") ] 1)"),
        ("value-lazy", "lib.mapAttrsToList (n: v: n) (lib.setAttrByPath [ \"a\" \"b\" ] (throw \"no\")).a"),
        ("error-name", "lib.setAttrByPath [ 1 ] 1"),
    ];
    collect: [
        ("scalars", "lib.collect (x: x == 1 || x == 3) { a = 1; b = { c = 2; d = { e = 3; }; }; }"),
        ("sets-with-marker", "lib.collect (x: x ? v) { a = { v = 1; }; b = { c = { v = 2; }; }; }"),
        ("root-matches", "lib.collect (x: true) { a = 1; }"),
        ("non-set", "lib.collect (x: false) 5"),
    ];
    zip_attrs: [
        ("zip", "lib.zipAttrs [ { a = 1; b = 2; } { a = 3; } { c = 4; } ]"),
        ("empty", "lib.zipAttrs [ ]"),
        ("values-lazy", "lib.foldr (_: n: n + 1) 0 (lib.zipAttrs [ { a = throw \"no\"; } { a = 1; } ]).a"),
        ("with-names", "lib.zipAttrsWithNames [ \"a\" ] (n: vs: vs) [ { a = 1; } { a = 2; b = 3; } ]"),
        ("error-element", "lib.zipAttrs [ 1 ]"),
    ];
    mk_merge: [
        ("merge", "lib.mkMerge [ { a = 1; } { b = 2; } ]"),
        ("contents-lazy", "(lib.mkMerge (throw \"no\"))._type"),
        ("modules-namespace", "lib.modules.mkMerge [ ]"),
    ];
    mk_if: [
        ("if", "lib.mkIf true { a = 1; }"),
        ("false", "lib.mkIf false 1"),
        ("lazy", "(lib.mkIf (throw \"no\") (throw \"no\"))._type"),
        ("assert", "(lib.mkAssert true \"m\" 1)"),
        ("error-assert-fails", "(lib.mkAssert false \"m\" 1)"),
    ];
    mk_priorities: [
        ("force", "lib.mkForce 1"),
        ("default", "lib.mkDefault { a = 1; }"),
        ("override", "lib.mkOverride 10 [ 1 ]"),
        ("option-default", "lib.mkOptionDefault 1"),
        ("vm-override", "lib.mkVMOverride 1"),
        ("image-media", "lib.mkImageMediaOverride 1"),
        ("modules-namespace", "lib.modules.mkForce 1"),
    ];
    mk_order: [
        ("order", "lib.mkOrder 10 \"x\""),
        ("before", "lib.mkBefore [ 1 ]"),
        ("after", "lib.mkAfter [ 1 ]"),
        ("lazy", "(lib.mkAfter (throw \"no\")).priority"),
    ];
    import_apply: [
        ("module", "(lib.last (lib.modules.importApply ./module.nix { greeting = \"hi\"; }).imports { config = { }; }).message"),
        ("file", "(lib.modules.importApply ./module.nix { }).\"_file\" == ./module.nix"),
        ("lazy-import", "(lib.modules.importApply ./missing.nix { })._file == ./missing.nix"),
        ("error-not-at-top-level", "(lib.importApply ./module.nix { }).imports"),
        ("set-default-module-location", "(lib.setDefaultModuleLocation ./plain.nix { a = 1; }).imports"),
    ];
    list_helpers: [
        ("toList", "[ (lib.toList 1) (lib.toList [ 1 ]) ]"),
        ("last", "lib.last [ 1 2 3 ]"),
        ("error-last-empty", "lib.last [ ]"),
        ("init", "lib.init [ 1 2 3 ]"),
        ("error-init-empty", "lib.init [ ]"),
        ("imap0", "lib.imap0 (i: x: [ i x ]) [ \"a\" \"b\" ]"),
        ("imap1", "lib.imap1 (i: x: i * x) [ 10 20 ]"),
        ("imap-lazy", "lib.last (lib.imap0 (i: x: if i == 0 then throw \"no\" else x) [ 1 2 ])"),
        ("singleton-forEach", "lib.forEach (lib.singleton 2) (x: x * 3)"),
        ("take-drop", "[ (lib.take 2 [ 1 2 3 ]) (lib.drop 2 [ 1 2 3 ]) (lib.take 5 [ 1 ]) (lib.drop 5 [ 1 ]) ]"),
        ("take-count-lazy-on-empty", "lib.take (throw \"no\") [ ]"),
        ("error-take-negative", "lib.take (-1) [ 1 ]"),
        ("sublist", "[ (lib.sublist 1 2 [ 1 2 3 4 ]) (lib.sublist 3 9 [ 1 2 3 4 ]) ]"),
        ("reverse-range", "[ (lib.reverseList [ 1 2 3 ]) (lib.range 2 5) (lib.range 3 1) ]"),
        ("replicate", "lib.replicate 3 \"x\""),
        ("remove-count", "[ (lib.remove 2 [ 1 2 3 2 ]) (lib.count (x: x > 1) [ 1 2 3 ]) ]"),
        ("subtract-intersect", "[ (lib.subtractLists [ 1 ] [ 1 2 1 ]) (lib.intersectLists [ 1 3 ] [ 1 2 3 ]) ]"),
        ("findFirst", "[ (lib.findFirst (x: x > 1) 0 [ 1 2 3 ]) (lib.findFirst (x: x > 5) 0 [ 1 ]) (lib.findFirst (x: x == 1) 0 [ 1 (throw \"no\") ]) ]"),
    ];
    string_helpers: [
        ("splitString", "lib.splitString \",\" \",a,,b,\""),
        ("splitString-empty-sep", "lib.splitString \"\" \"abc\""),
        ("splitString-empty", "lib.splitString \",\" \"\""),
        ("splitString-int-sep", "lib.splitString 1 \"a1b\""),
        ("splitString-unicode", "lib.splitString \"é\" \"aébé\""),
        ("toLower-toUpper", "[ (lib.toLower \"AbC-é\") (lib.toUpper \"aBc-é\") ]"),
        ("error-toLower", "lib.toLower 1"),
        ("stringToCharacters", "lib.stringToCharacters \"abc\""),
        ("escape", "lib.escape [ \"$\" \"\\\"\" ] \"a$b\\\"c\""),
        ("strings-replicate", "lib.strings.replicate 3 \"ab\""),
    ];
    trivial: [
        ("id-const-flip", "[ (lib.id 1) (lib.const 1 (throw \"no\")) (lib.flip (a: b: a - b) 1 10) ]"),
        ("pipe", "lib.pipe 2 [ (x: x + 1) (x: x * 10) ]"),
        ("pipe-empty", "lib.pipe 2 [ ]"),
        ("trivial-namespace", "lib.trivial.id \"x\""),
        ("boolToString", "[ (lib.boolToString true) (lib.boolToString false) ]"),
        ("mergeAttrs", "lib.mergeAttrs { a = 1; b = 1; } { b = 2; }"),
        ("defaultTo-mapNullable", "[ (lib.defaultTo 1 null) (lib.defaultTo 1 2) (lib.mapNullable (x: x + 1) null) (lib.mapNullable (x: x + 1) 1) ]"),
        ("throwIf", "[ (lib.throwIf false \"m\" 1) (lib.throwIfNot true \"m\" 2) ]"),
        ("error-throwIf-throws", "lib.throwIf true \"m\" 1"),
    ];
    builtin_aliases: [
        ("attrNames-attrValues", "[ (lib.attrNames { b = 1; a = 2; }) (lib.attrValues { b = 1; a = 2; }) ]"),
        ("filter-map-elem", "[ (lib.filter (x: x > 1) [ 1 2 3 ]) (lib.map (x: x * 2) [ 1 2 ]) (lib.elem 2 [ 1 2 ]) ]"),
        ("head-length", "[ (lib.head [ 1 2 ]) (lib.length [ 1 2 3 ]) (lib.tail [ 1 2 ]) (lib.elemAt [ 1 2 ] 1) ]"),
        ("is", "[ (lib.isAttrs { }) (lib.isList [ ]) (lib.isString \"\") (lib.isInt 1) (lib.isBool true) (lib.isString 1) ]"),
        ("listToAttrs", "lib.listToAttrs [ (lib.nameValuePair \"a\" 1) { name = \"b\"; value = 2; } ]"),
        ("mapAttrs", "lib.mapAttrs (n: v: n + v) { a = \"x\"; }"),
        ("mapAttrs-lazy", "lib.attrNames (lib.mapAttrs (n: v: throw \"no\") { a = 1; b = 2; })"),
        ("concatMap", "lib.concatMap (x: [ x x ]) [ 1 2 ]"),
        ("zipAttrsWith", "lib.zipAttrsWith (n: vs: vs) [ { a = 1; } { a = 2; } ]"),
        ("concatStringsSep-join", "[ (lib.concatStringsSep \",\" [ \"a\" \"b\" ]) (lib.join \"-\" [ \"a\" \"b\" ]) (lib.strings.join \"+\" [ \"c\" ]) ]"),
        ("concatStringsSep-out-path", "lib.concatStringsSep \"/\" [ { outPath = \"x\"; } \"y\" ]"),
        ("error-concatStringsSep-int", "lib.concatStringsSep \",\" [ 1 ]"),
        ("namespaces", "[ (lib.attrsets.attrNames { a = 1; }) (lib.lists.length [ 1 ]) (lib.strings.stringLength \"abc\") (lib.trivial.seq 1 2) (lib.strings.isString \"a\") ]"),
        ("error-not-in-that-namespace", "lib.attrsets.length [ ]"),
        ("arithmetic", "[ (lib.add 1 2) (lib.sub 5 3) (lib.mul 2 3) (lib.div 7 2) (lib.lessThan 1 2) (lib.trivial.bitAnd 6 3) ]"),
        ("strings", "[ (lib.substring 1 2 \"abcd\") (lib.replaceStrings [ \"a\" ] [ \"b\" ] \"aa\") (lib.typeOf 1) (lib.toString 5) ]"),
        ("filter-hasSuffix", "lib.filter (lib.hasSuffix \".nix\") [ \"a.nix\" \"b\" ]"),
        ("fold-recursiveUpdate-map", "lib.foldl' lib.recursiveUpdate { } (lib.map (n: lib.setAttrByPath [ \"x\" n ] true) [ \"a\" \"b\" ])"),
    ];
    function_helpers: [
        ("isFunction", "[ (lib.isFunction (x: x)) (lib.isFunction lib.id) (lib.isFunction 1) (lib.isFunction { __functor = self: x: x; }) (lib.isFunction { __functor = self: 1; }) (lib.isFunction { }) ]"),
        ("functionArgs", "[ (lib.functionArgs ({ a, b ? 1 }: a)) (lib.functionArgs { __functor = self: { c }: c; }) (lib.functionArgs { __functor = self: x: x; __functionArgs = { d = true; }; }) ]"),
        ("toFunction", "[ (lib.toFunction 5 null) (lib.toFunction (x: x + 1) 1) ]"),
    ];
    files_and_versions: [
        ("importJSON", "lib.importJSON ./data.json"),
        ("error-importJSON-missing", "lib.importJSON ./missing.json"),
        ("modules-importJSON", "(lib.modules.importJSON ./data.json).config.machines"),
        ("fileContents", "lib.fileContents ./text.txt"),
        ("trim", "[ (lib.trim \" \\t a b \\n\") (lib.trim \"\") (lib.trim \" \\n \") (lib.strings.trim \"x\") ]"),
        ("error-trim", "lib.trim 1"),
        ("versions", "[ (lib.versionOlder \"1.2\" \"1.10\") (lib.versionAtLeast \"2.8\" \"2.8\") (lib.versionAtLeast \"2.7pre\" \"2.7\") ]"),
        ("warn", "[ (lib.warn \"careful\" 1) (lib.warnIf false \"m\" 2) (lib.warnIfNot true \"m\" 3) ]"),
        ("error-warn-needs-string", "lib.warn 1 2"),
    ];
    real_fleet_patterns: [
        ("loader", "let files = lib.filter (lib.hasSuffix \".nix\") (lib.attrNames (builtins.readDir ./instances)); in lib.foldl' (acc: f: lib.recursiveUpdate acc (import (./instances + \"/${f}\"))) { } files"),
        ("filterAttrs-readDir", "lib.attrNames (lib.filterAttrs (n: t: t == \"regular\" && lib.hasSuffix \".nix\" n) (builtins.readDir ./instances))"),
        ("mapAttrs'-machines", "lib.mapAttrs' (n: _: lib.nameValuePair (lib.removeSuffix \".nix\" n) { tags = [ \"all\" ]; }) (builtins.readDir ./instances)"),
        ("genAttrs-tags", "lib.genAttrs [ \"jon\" \"sara\" ] (name: { tags = lib.optional (name == \"jon\") \"server\"; })"),
        ("optionalAttrs-merge", "{ a = 1; } // lib.optionalAttrs (lib.elem \"b\" [ \"b\" ]) { b = 2; }"),
    ];
    try_eval: [
        ("last-empty-is-a-throw", "builtins.tryEval (lib.last [ ])"),
        ("init-empty-is-a-throw", "builtins.tryEval (lib.init [ ])"),
        ("throwIf", "builtins.tryEval (lib.throwIf true \"m\" 1)"),
        ("throwIfNot-passes", "builtins.tryEval (lib.throwIfNot true \"m\" 1)"),
        ("mkAssert", "builtins.tryEval (lib.mkAssert false \"m\" 1).condition"),
        ("lists-removePrefix", "builtins.tryEval (lib.lists.removePrefix [ 2 ] [ 1 ])"),
        ("warn-assert", "builtins.tryEval (lib.warn 1 2)"),
        ("error-getAttrFromPath-aborts", "builtins.tryEval (lib.getAttrFromPath [ \"x\" ] { })"),
        ("error-type-errors-escape", "builtins.tryEval (lib.filterAttrs (n: v: 1) { a = 1; })"),
        ("error-missing-name-escapes", "builtins.tryEval (lib.mapAttrs' (n: v: { }) { a = 1; })"),
    ];
    lib_attrset_helpers: [
        ("attrVals", "lib.attrVals [ \"a\" \"b\" ] { a = 1; b = 2; c = 3; }"),
        ("getAttrs", "lib.getAttrs [ \"a\" ] { a = 1; b = 2; }"),
        ("attrsToList", "lib.attrsToList { b = 2; a = 1; }"),
        ("foldlAttrs", "lib.foldlAttrs (acc: n: v: acc + n + v) \"\" { a = \"1\"; b = \"2\"; }"),
        ("error-foldlAttrs-empty-forces-init", "lib.foldlAttrs (acc: n: v: acc) (throw \"no\") { }"),
        ("mapAttrsRecursive", "lib.mapAttrsRecursive (path: v: lib.concatStringsSep \".\" path) { a.b = 1; c = 2; }"),
        ("mapAttrsRecursiveCond", "lib.mapAttrsRecursiveCond (s: !(s ? stop)) (path: v: path) { a.stop = 1; b.c = 2; }"),
        ("concatMapAttrs", "lib.concatMapAttrs (n: v: { ${n} = v; \"${n}2\" = v * 2; }) { a = 1; b = 2; }"),
        ("mergeAttrsList", "[ (lib.mergeAttrsList [ { a = 1; } { a = 2; b = 1; } { c = 3; } ]) (lib.mergeAttrsList [ ]) ]"),
    ];
}

/// `lib` reached as the reader meets it in flakes: through inputs, through clan-core's inputs,
/// as a module argument, with `with`, and by `inherit`. Nix sees the same expression with those
/// names bound to sets that hold nixpkgs' `lib`; the reader sees them as unknown inputs.
#[test]
fn lib_wherever_it_comes_from() {
    if !have_nixpkgs_lib("lib_wherever_it_comes_from") {
        return;
    }
    let dir = repo_root().join("tests/lib_functions");
    let cases = [
        "inputs.nixpkgs.lib.genAttrs [ \"a\" ] (n: 1)",
        "inputs.nixpkgs.lib.attrsets.mapAttrs' (n: v: inputs.nixpkgs.lib.nameValuePair v n) { a = \"b\"; }",
        "clan-core.inputs.nixpkgs.lib.mkIf true 1",
        "(({ lib, ... }: lib.optionalAttrs true { x = lib.strings.hasSuffix \"b\" \"ab\"; }) { inherit lib; })",
        "with inputs.nixpkgs.lib; flatten (optional true [ 1 ])",
        "let inherit (inputs.nixpkgs.lib.lists) unique; in unique [ 1 1 ]",
        "let inherit (inputs.nixpkgs.lib) foldl' recursiveUpdate; in foldl' recursiveUpdate { } [ { a.b = 1; } { a.c = 2; } ]",
        "inputs.nixpkgs.lib.trivial.pipe [ 2 1 ] [ inputs.nixpkgs.lib.lists.reverseList inputs.nixpkgs.lib.last ]",
    ];
    let mut mismatches = Vec::new();
    for expr in cases {
        let nix = format!(
            "let lib = import <nixpkgs/lib>; inputs = {{ nixpkgs = {{ inherit lib; }}; }}; clan-core = {{ inherit inputs; }}; in ({expr}\n)"
        );
        let want = common::nix_eval_json(&dir, &nix);
        let got = inventory_gen::read::eval::eval_expression_json(
            &dir,
            expr,
            &["lib", "inputs", "clan-core"],
        )
        .map_err(|d| d.message);
        match (&want, &got) {
            (Ok(w), Ok(g)) if common::json_equal(w, g) => {}
            _ => mismatches.push(format!(
                "`{expr}`\n    nix: {want:?}\n    inventory-gen: {got:?}"
            )),
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// What a lib function needs but cannot know makes its result unknown (an error where data is
/// needed), never a guess; an unknown value it does not need changes nothing.
#[test]
fn unknown_values_stay_unknown() {
    use inventory_gen::diagnostics::Kind;
    let dir = repo_root().join("tests/lib_functions");
    let eval = |expr: &str| {
        inventory_gen::read::eval::eval_expression_json(&dir, expr, &["lib", "config"])
    };
    for expr in [
        "lib.optionalAttrs config.enable { a = 1; }",
        "lib.filterAttrs (n: v: v.enable) config.services",
        "lib.genAttrs config.names (n: 1)",
        "lib.recursiveUpdate { a = 1; } config.more",
        "lib.hasPrefix \"a\" config.name",
        "lib.unique [ 1 config.x ]",
        "lib.concatStringsSep \",\" [ \"a\" config.b ]",
        "lib.mapAttrs' (n: v: lib.nameValuePair config.prefix v) { a = 1; }",
    ] {
        match eval(expr) {
            Err(d) => assert_eq!(d.kind, Kind::NotStatic, "`{expr}`: {}", d.message),
            Ok(v) => panic!("`{expr}` gave {v} although it depends on `config`"),
        }
    }
    for (expr, want) in [
        ("(lib.recursiveUpdate { a = config.x; } { b = 1; }).b", "1"),
        (
            "lib.mapAttrsToList (n: v: n) (lib.genAttrs [ \"a\" \"b\" ] (n: config.y))",
            "[\"a\",\"b\"]",
        ),
        ("lib.last (lib.optional true config.x ++ [ 2 ])", "2"),
        ("(lib.mkIf config.enable { a = 1; }).content", "{\"a\":1}"),
    ] {
        let got = eval(expr).unwrap_or_else(|d| panic!("`{expr}`: {}", d.message));
        assert_eq!(got.to_string(), want, "`{expr}`");
    }
}

/// Diagnostics raised by lib functions point at the user's code: the call, or the user's value
/// that is wrong.
#[test]
fn errors_point_at_the_users_code() {
    let dir = repo_root().join("tests/lib_functions");
    for (expr, at) in [
        ("let x = lib.last [ ]; in x", "lib.last [ ]"),
        ("lib.filterAttrs (n: v: 17) { a = 1; }", "17"),
        ("lib.concatStringsSep \",\" [ 42 ]", "42"),
        (
            "lib.getAttrFromPath [ \"a\" \"x\" ] { a.b = 1; }",
            "lib.getAttrFromPath [ \"a\" \"x\" ] { a.b = 1; }",
        ),
        ("lib.genAttrs [ \"a\" 5 ] (n: n)", "5"),
        ("lib.recursiveUpdate { a = 1; } [ ]", "[ ]"),
        (
            "lib.lists.removePrefix [ 2 ] [ 1 ]",
            "lib.lists.removePrefix [ 2 ] [ 1 ]",
        ),
    ] {
        let d =
            inventory_gen::read::eval::eval_expression_json(&dir, expr, &["lib"]).expect_err(expr);
        let span = d.span.unwrap_or_else(|| panic!("`{expr}`: no span"));
        assert_eq!(
            &expr[span.start as usize..span.end as usize],
            at,
            "`{expr}`: {}",
            d.message
        );
    }
}
