//! Differential tests of Nix's builtins, one test per family of the registry
//! (`src/read/eval/builtins/`): every case is evaluated by inventory-gen's evaluator and by
//! `nix-instantiate --eval --strict --json`; both must give the same value or both fail. Each
//! family has ordinary cases, edge cases (empty lists, unicode, negative numbers, order), error
//! cases, and laziness cases (an unused `throw` that Nix never forces must not be forced).
//! Files that cases read live in tests/builtins/.

mod common;

use common::{differential, repo_root};

fn check(cases: &[(&str, &str)]) {
    let dir = repo_root().join("tests/builtins");
    let mismatches = differential(&dir, cases, false);
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ from Nix:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}

#[test]
fn control() {
    check(&[
        ("throw", r#"throw "no""#),
        ("throw-non-string", "throw 1"),
        ("abort", r#"abort "no""#),
        ("tryEval-ok", "builtins.tryEval 1"),
        (
            "tryEval-lazy-value",
            "(builtins.tryEval [ (throw \"x\") ]).success",
        ),
        ("tryEval-throw", r#"builtins.tryEval (throw "x")"#),
        ("tryEval-assert", "builtins.tryEval (assert 1 == 2; 1)"),
        (
            "tryEval-nested",
            r#"builtins.tryEval (builtins.tryEval (throw "x")).value"#,
        ),
        (
            "tryEval-abort-propagates",
            r#"builtins.tryEval (abort "x")"#,
        ),
        (
            "tryEval-type-error-propagates",
            "builtins.tryEval (1 + \"a\")",
        ),
        ("tryEval-missing-attr-propagates", "builtins.tryEval {}.a"),
        (
            "tryEval-in-map",
            r#"map (x: (builtins.tryEval x).success) [ 1 (throw "a") (assert false; 2) ]"#,
        ),
        ("seq", "builtins.seq 1 2"),
        ("seq-whnf-only", r#"builtins.seq [ (throw "x") ] 2"#),
        ("seq-forces", r#"builtins.seq (throw "x") 2"#),
        (
            "seq-second-lazy-ok",
            r#"builtins.seq { a = throw "x"; } "ok""#,
        ),
        ("deepSeq", "builtins.deepSeq [ 1 { a = 2; } ] 3"),
        (
            "deepSeq-forces-deep",
            r#"builtins.deepSeq [ { a = throw "x"; } ] 3"#,
        ),
        (
            "deepSeq-cycle",
            "let s = { a = s; b = 1; }; in builtins.deepSeq s s.b",
        ),
        ("deepSeq-functions", "builtins.deepSeq [ (x: x) ] 1"),
        ("trace", r#"builtins.trace "message" 1"#),
        ("trace-forces-message", r#"builtins.trace (throw "m") 1"#),
        ("trace-value", "builtins.trace { a = 1; } [ 2 ]"),
        (
            "tryEval-deepSeq",
            r#"builtins.tryEval (builtins.deepSeq [ (throw "x") ] 1)"#,
        ),
        (
            "tryEval-elemAt-propagates",
            "builtins.tryEval (builtins.elemAt [ ] 0)",
        ),
        ("tryEval-typeOf", "builtins.typeOf (builtins.tryEval 1)"),
        ("trace-function", "builtins.trace (x: x) 1"),
    ]);
}

#[test]
fn types() {
    check(&[
        (
            "predicates",
            r#"map (f: map f [ 1 1.5 "s" true null [ ] { } (x: x) builtins.map ./. ])
               (with builtins; [ isInt isFloat isString isBool isNull isList isAttrs isFunction isPath ])"#,
        ),
        (
            "typeOf",
            r#"map builtins.typeOf [ 1 1.5 "s" true null [ ] { } (x: x) builtins.map (builtins.add 1) ./. ]"#,
        ),
        ("predicate-whnf", r#"builtins.isList [ (throw "x") ]"#),
        ("predicate-forces", r#"builtins.isList (throw "x")"#),
        ("isNull-global", "isNull null"),
        (
            "functionArgs-pattern",
            "builtins.functionArgs ({ a, b ? 1, ... }: a)",
        ),
        (
            "functionArgs-at",
            "builtins.functionArgs (args@{ x ? null }: x)",
        ),
        ("functionArgs-plain", "builtins.functionArgs (x: x)"),
        (
            "functionArgs-empty-pattern",
            "builtins.functionArgs ({ }: 1)",
        ),
        ("functionArgs-builtin", "builtins.functionArgs builtins.map"),
        ("functionArgs-not-function", "builtins.functionArgs 1"),
        (
            "functionArgs-at-ellipsis",
            "builtins.functionArgs ({ a, ... }@x: a)",
        ),
        (
            "functionArgs-let",
            "let f = { a ? 1, b }: a; in builtins.functionArgs f",
        ),
    ]);
}

#[test]
fn numbers() {
    check(&[
        (
            "add",
            "[ (builtins.add 1 2) (builtins.add 1 0.5) (builtins.add (-3) 1) ]",
        ),
        (
            "sub-mul",
            "[ (builtins.sub 1 5) (builtins.mul 3 (-4)) (builtins.mul 1.5 2) ]",
        ),
        (
            "div",
            "[ (builtins.div 7 2) (builtins.div (-7) 2) (builtins.div 7.0 2) ]",
        ),
        ("div-zero", "builtins.div 1 0"),
        ("div-zero-float", "builtins.div 1.0 0"),
        ("add-string", "builtins.add \"a\" \"b\""),
        (
            "bits",
            "[ (builtins.bitAnd 12 10) (builtins.bitOr 12 10) (builtins.bitXor 12 10) (builtins.bitAnd (-1) 5) ]",
        ),
        ("bits-float", "builtins.bitAnd 1.0 1"),
        (
            "lessThan",
            r#"with builtins; [ (lessThan 1 2) (lessThan 2 1) (lessThan 1 1.5) (lessThan "a" "b") (lessThan "b" "a") (lessThan "" "a") (lessThan ./a ./b) ]"#,
        ),
        (
            "lessThan-lists",
            "with builtins; [ (lessThan [ 1 2 ] [ 1 3 ]) (lessThan [ 1 ] [ 1 0 ]) (lessThan [ ] [ ]) (lessThan [ 2 ] [ 1 5 ]) ]",
        ),
        ("lessThan-mixed", r#"builtins.lessThan "a" 1"#),
        ("lessThan-null", "builtins.lessThan null null"),
        ("lessThan-attrs", "builtins.lessThan { } { }"),
    ]);
}

#[test]
fn lists() {
    check(&[
        ("map", "map (x: x * 2) [ 1 2 3 ]"),
        ("map-empty", "map (x: x) [ ]"),
        (
            "map-lazy-elements",
            r#"builtins.length (map (x: throw "x") [ 1 2 ])"#,
        ),
        ("map-lazy-function", r#"map (throw "f") [ ]"#),
        ("map-not-list", "map (x: x) 1"),
        ("filter", "builtins.filter (x: x > 1) [ 1 2 3 0 5 ]"),
        (
            "filter-lazy-elements",
            r#"builtins.length (builtins.filter (x: true) [ (throw "x") ])"#,
        ),
        ("filter-not-bool", "builtins.filter (x: 1) [ 1 ]"),
        (
            "filter-forces-function",
            r#"builtins.filter (throw "f") [ ]"#,
        ),
        ("foldl", "builtins.foldl' (acc: x: acc + x) 0 [ 1 2 3 ]"),
        (
            "foldl-order",
            "builtins.foldl' (acc: x: acc ++ [ x ]) [ ] [ 1 2 3 ]",
        ),
        ("foldl-empty", "builtins.foldl' (a: b: a) 7 [ ]"),
        (
            "foldl-initial-unforced",
            r#"builtins.foldl' (a: b: b) (throw "x") [ 1 ]"#,
        ),
        (
            "foldl-empty-forces-initial",
            r#"builtins.foldl' (a: b: b) (throw "x") [ ]"#,
        ),
        (
            "foldl-strict",
            r#"builtins.foldl' (a: b: b) 0 [ (throw "x") 1 ]"#,
        ),
        (
            "length",
            "[ (builtins.length [ ]) (builtins.length [ 1 (throw \"x\") ]) ]",
        ),
        ("length-not-list", "builtins.length \"abc\""),
        (
            "elem",
            "[ (builtins.elem 2 [ 1 2 ]) (builtins.elem 3 [ 1 2 ]) (builtins.elem [ 1 ] [ [ 1 ] ]) (builtins.elem 1 [ 1.0 ]) ]",
        ),
        ("elem-stops", r#"builtins.elem 1 [ 1 (throw "x") ]"#),
        ("elem-forces", r#"builtins.elem 2 [ 1 (throw "x") ]"#),
        ("elemAt", "builtins.elemAt [ 1 2 3 ] 2"),
        ("elemAt-out", "builtins.elemAt [ 1 ] 1"),
        ("elemAt-negative", "builtins.elemAt [ 1 ] (-1)"),
        ("elemAt-lazy", r#"builtins.elemAt [ (throw "x") 2 ] 1"#),
        ("head", "builtins.head [ 1 (throw \"x\") ]"),
        ("head-empty", "builtins.head [ ]"),
        (
            "tail",
            r#"builtins.length (builtins.tail [ (throw "x") 2 3 ])"#,
        ),
        ("tail-empty", "builtins.tail [ ]"),
        ("concatLists", "builtins.concatLists [ [ 1 ] [ ] [ 2 3 ] ]"),
        ("concatLists-not-list", "builtins.concatLists [ 1 ]"),
        ("concatMap", "builtins.concatMap (x: [ x x ]) [ 1 2 ]"),
        ("concatMap-not-list", "builtins.concatMap (x: x) [ 1 ]"),
        ("genList", "builtins.genList (i: i * i) 4"),
        ("genList-zero", "builtins.genList (throw \"f\") 0"),
        ("genList-negative", "builtins.genList (x: x) (-1)"),
        (
            "genList-lazy",
            r#"builtins.length (builtins.genList (i: throw "x") 3)"#,
        ),
        (
            "all-any",
            "with builtins; [ (all (x: x > 0) [ 1 2 ]) (all (x: x > 1) [ 1 2 ]) (any (x: x > 1) [ 1 2 ]) (any (x: x > 5) [ 1 2 ]) (all (x: x) [ ]) (any (x: x) [ ]) ]",
        ),
        ("any-stops", r#"builtins.any (x: x) [ true (throw "x") ]"#),
        ("all-stops", r#"builtins.all (x: x) [ false (throw "x") ]"#),
        ("all-not-bool", "builtins.all (x: 1) [ 1 ]"),
        ("sort", "builtins.sort builtins.lessThan [ 3 1 2 10 (-1) ]"),
        (
            "sort-strings",
            r#"builtins.sort builtins.lessThan [ "b" "a" "B" "" "é" ]"#,
        ),
        ("sort-lambda", "builtins.sort (a: b: a > b) [ 3 1 2 ]"),
        (
            "sort-stable",
            "map (x: x.n) (builtins.sort (a: b: a.k < b.k) (builtins.genList (i: { k = builtins.div i 3; n = i; }) 30))",
        ),
        (
            "sort-stable-reverse",
            "map (x: x.n) (builtins.sort (a: b: a.k > b.k) (builtins.genList (i: { k = builtins.bitAnd i 3; n = i; }) 40))",
        ),
        ("sort-empty", "builtins.sort (throw \"f\") [ ]"),
        (
            "sort-forces-elements",
            r#"builtins.sort (a: b: false) [ (throw "x") ]"#,
        ),
        ("sort-not-bool", "builtins.sort (a: b: 1) [ 1 2 ]"),
        (
            "sort-incomparable",
            "builtins.sort builtins.lessThan [ 1 \"a\" ]",
        ),
        ("partition", "builtins.partition (x: x > 2) [ 1 3 2 4 ]"),
        ("partition-empty", "builtins.partition (x: true) [ ]"),
        (
            "partition-lazy",
            r#"builtins.length (builtins.partition (x: true) [ (throw "x") ]).right"#,
        ),
        (
            "groupBy",
            r#"builtins.groupBy (x: if x > 2 then "big" else "small") [ 1 3 2 4 ]"#,
        ),
        ("groupBy-not-string", "builtins.groupBy (x: x) [ 1 ]"),
        (
            "groupBy-unicode",
            r#"builtins.groupBy (x: x) [ "é" "a" "é" ]"#,
        ),
        (
            "sort-lists",
            "builtins.sort builtins.lessThan [ [ 1 2 ] [ 1 ] [ ] [ 0 5 ] ]",
        ),
        ("elem-functions", "builtins.elem (x: x) [ (x: x) ]"),
        (
            "foldl-add",
            "builtins.foldl' builtins.add 0 (builtins.genList (x: x) 100)",
        ),
        (
            "concatLists-genList",
            "builtins.length (builtins.concatLists (builtins.genList (x: [ x x ]) 10))",
        ),
        (
            "double-underscore",
            "__filter (x: x > 1) (__genList (x: x) 4)",
        ),
        ("double-underscore-global-name", "__map (x: x) [ 1 ]"),
        (
            "sort-not-an-order",
            "map (n: map (c: builtins.sort c (builtins.genList (i: builtins.bitXor (i * 7) 5) n)) [ (a: b: true) (a: b: false) (a: b: a <= b) (a: b: builtins.bitAnd (a + b) 1 == 0) (a: b: builtins.bitAnd (a * b) 2 == 0) ]) [ 0 1 2 3 5 7 8 13 14 15 16 29 40 57 100 ]",
        ),
        (
            "sort-less-or-equal-records",
            "map (x: x.n) (builtins.sort (a: b: a.k <= b.k) (builtins.genList (i: { k = builtins.div (builtins.bitXor i 11) 4; n = i; }) 37))",
        ),
        (
            "elem-same-function",
            "let f = x: x; in builtins.elem f [ f ]",
        ),
        (
            "elem-cyclic",
            "let s = { a = s; }; in builtins.elem s [ s ]",
        ),
        (
            "elem-derivations",
            r#"builtins.elem { type = "derivation"; outPath = "a"; x = 1; } [ { type = "derivation"; outPath = "a"; x = 2; } ]"#,
        ),
        ("elem-int-float", "builtins.elem 1 [ 1.0 ]"),
        (
            "lessThan-same-function",
            "let f = x: x; in builtins.lessThan [ f 1 ] [ f 2 ]",
        ),
        (
            "lessThan-functions",
            "builtins.lessThan [ (x: x) ] [ (x: x) ]",
        ),
    ]);
}

#[test]
fn attrs() {
    check(&[
        (
            "attrNames",
            r#"builtins.attrNames { b = 1; a = 2; "é" = 3; B = 4; "" = 5; "1" = 6; }"#,
        ),
        ("attrNames-lazy", r#"builtins.attrNames { a = throw "x"; }"#),
        ("attrNames-not-set", "builtins.attrNames [ ]"),
        (
            "attrValues",
            "builtins.attrValues { b = 1; a = 2; c = [ 3 ]; }",
        ),
        (
            "attrValues-lazy",
            r#"builtins.length (builtins.attrValues { a = throw "x"; })"#,
        ),
        (
            "mapAttrs",
            "builtins.mapAttrs (n: v: n + toString v) { a = 1; b = 2; }",
        ),
        (
            "mapAttrs-lazy",
            r#"builtins.attrNames (builtins.mapAttrs (n: v: throw "x") { a = 1; })"#,
        ),
        ("mapAttrs-lazy-function", "builtins.mapAttrs 1 { }"),
        (
            "listToAttrs",
            r#"builtins.listToAttrs [ { name = "b"; value = 1; } { name = "a"; value = 2; } { name = "b"; value = 3; } ]"#,
        ),
        (
            "listToAttrs-lazy-value",
            r#"builtins.attrNames (builtins.listToAttrs [ { name = "a"; value = throw "x"; } ])"#,
        ),
        (
            "listToAttrs-no-name",
            "builtins.listToAttrs [ { value = 1; } ]",
        ),
        (
            "listToAttrs-no-value",
            r#"builtins.listToAttrs [ { name = "a"; } ]"#,
        ),
        (
            "listToAttrs-name-not-string",
            "builtins.listToAttrs [ { name = 1; value = 1; } ]",
        ),
        (
            "removeAttrs",
            r#"removeAttrs { a = 1; b = 2; c = 3; } [ "a" "c" "z" ]"#,
        ),
        ("removeAttrs-not-string", "removeAttrs { a = 1; } [ 1 ]"),
        (
            "hasAttr",
            r#"[ (builtins.hasAttr "a" { a = throw "x"; }) (builtins.hasAttr "b" { a = 1; }) ]"#,
        ),
        (
            "getAttr",
            r#"builtins.getAttr "a" { a = 1; b = throw "x"; }"#,
        ),
        ("getAttr-missing", r#"builtins.getAttr "c" { a = 1; }"#),
        (
            "intersectAttrs",
            "builtins.intersectAttrs { a = throw \"x\"; c = 1; } { a = 1; b = 2; c = 3; }",
        ),
        (
            "catAttrs",
            r#"builtins.catAttrs "a" [ { a = 1; } { b = 2; } { a = 3; } ]"#,
        ),
        ("catAttrs-not-set", r#"builtins.catAttrs "a" [ 1 ]"#),
        (
            "catAttrs-lazy",
            r#"builtins.length (builtins.catAttrs "a" [ { a = throw "x"; } ])"#,
        ),
        (
            "zipAttrsWith",
            "builtins.zipAttrsWith (n: vs: { inherit n vs; }) [ { a = 1; b = 2; } { b = 3; c = 4; } { } ]",
        ),
        (
            "zipAttrsWith-lazy",
            r#"builtins.attrNames (builtins.zipAttrsWith (n: vs: throw "x") [ { a = 1; } ])"#,
        ),
        (
            "zipAttrsWith-forces-function",
            r#"builtins.zipAttrsWith (throw "f") [ ]"#,
        ),
        (
            "mkForce-is-a-set",
            "let o = { _type = \"override\"; content = 1; priority = 50; }; in builtins.attrNames o",
        ),
        (
            "mapAttrs-not-set",
            r#"builtins.mapAttrs (n: v: v) (throw "x")"#,
        ),
        (
            "listToAttrs-element-throws",
            r#"builtins.listToAttrs [ { name = "a"; value = 1; } (throw "x") ]"#,
        ),
        (
            "zipAttrsWith-element-throws",
            r#"builtins.zipAttrsWith (n: v: v) [ { a = 1; } (throw "x") ]"#,
        ),
        (
            "catAttrs-element-throws",
            r#"builtins.catAttrs "a" [ { a = 1; } (throw "x") ]"#,
        ),
        (
            "intersectAttrs-throws",
            r#"builtins.intersectAttrs (throw "x") { }"#,
        ),
        ("hasAttr-throws", r#"builtins.hasAttr "a" (throw "x")"#),
        (
            "attrValues-readDir",
            "builtins.attrValues (builtins.readDir ./dir)",
        ),
    ]);
}

#[test]
fn strings() {
    check(&[
        (
            "toString",
            r#"map toString [ 1 (-2) "s" true false null [ 1 null [ 2 true ] "a" ] [ ] { outPath = "o"; } { __toString = self: "t${toString self.n}"; n = 3; } ]"#,
        ),
        ("toString-float", "map toString [ 1.5 0.1 (-2.25) 100.0 ]"),
        ("toString-path", "builtins.substring 0 1 (toString ./.)"),
        ("toString-path-name", "baseNameOf (toString ./value.nix)"),
        ("toString-function", "toString (x: x)"),
        ("toString-set", "toString { a = 1; }"),
        (
            "stringLength",
            r#"map builtins.stringLength [ "" "abc" "é" "日本" ]"#,
        ),
        ("stringLength-int", "builtins.stringLength 1"),
        (
            "substring",
            r#"with builtins; [ (substring 0 2 "hello") (substring 1 (-1) "hello") (substring 10 2 "abc") (substring 2 100 "abc") (substring 0 0 "abc") (substring 1 2 "héllo") ]"#,
        ),
        (
            "substring-negative-start",
            r#"builtins.substring (-1) 2 "abc""#,
        ),
        (
            "concatStringsSep",
            r#"with builtins; [ (concatStringsSep ", " [ "a" "b" "c" ]) (concatStringsSep "-" [ ]) (concatStringsSep "" [ "x" { outPath = "y"; } ]) ]"#,
        ),
        (
            "concatStringsSep-int",
            r#"builtins.concatStringsSep "," [ "a" 1 ]"#,
        ),
        (
            "replaceStrings",
            r#"with builtins; [ (replaceStrings [ "a" "ab" ] [ "1" "2" ] "abab") (replaceStrings [ "ab" "a" ] [ "2" "1" ] "abab") (replaceStrings [ "" ] [ "-" ] "abc") (replaceStrings [ "" "a" ] [ "X" "Y" ] "abc") (replaceStrings [ ] [ ] "x") (replaceStrings [ "é" ] [ "e" ] "café") (replaceStrings [ "o" ] [ "0" ] "") ]"#,
        ),
        (
            "replaceStrings-forces-to",
            r#"builtins.replaceStrings [ "a" "b" ] [ "1" (throw "x") ] "aa""#,
        ),
        (
            "replaceStrings-lengths",
            r#"builtins.replaceStrings [ "a" ] [ ] "a""#,
        ),
        (
            "match",
            r#"with builtins; [ (match "a(b)c" "abc") (match "ab" "abc") (match "(a)|b" "b") (match "" "") (match "(.*)\\.nix" "default.nix") (match "[[:alpha:]]+-([0-9]+)" "host-12") (match "a.b" "a\nb") (match ".." "é") (match "[^a]" "é") ]"#,
        ),
        (
            "match-anchored",
            r#"with builtins; [ (match "b" "abc") (match "a|ab" "ab") (match "x*" "") ]"#,
        ),
        ("match-groups", r#"builtins.match "(a)(x)?(b(c))" "abc""#),
        (
            "match-escapes",
            r#"with builtins; [ (match "a\\.b" "a.b") (match "a\\.b" "axb") (match "[]a]+" "]a") (match "[\\]+" "\\") (match "x{2,3}" "xxx") (match "a{1}{2}" "aa") (match "a*?" "aa") (match "a]" "a]") ]"#,
        ),
        ("match-invalid-d", r#"builtins.match "\\d" "1""#),
        ("match-invalid-paren", r#"builtins.match "(" "a""#),
        ("match-invalid-noncapture", r#"builtins.match "(?:a)" "a""#),
        ("match-invalid-bound", r#"builtins.match "a{,2}" "a""#),
        ("match-not-string", "builtins.match \"a\" 1"),
        (
            "split",
            r#"with builtins; [ (split "," "a,b,,c") (split "(a)|b" "xaybz") (split "x" "abc") (split "" "ab") (split "a*" "baac") (split "(,)" ",") (split "(a)(x)?" "ab") (split "." "é") ]"#,
        ),
        (
            "split-alternation",
            r#"builtins.split "(a|ab)(c|bcd)(d*)" "abcd""#,
        ),
        (
            "baseNameOf",
            r#"map baseNameOf [ "/a/b" "/a/b/" "a" "" "/" "a/b.nix" ]"#,
        ),
        ("baseNameOf-path", "baseNameOf ./value.nix"),
        (
            "dirOf",
            r#"map dirOf [ "/a/b" "/a/b/" "a" "/a" "a/b/c" "" ]"#,
        ),
        ("dirOf-path", "toString (dirOf ./value.nix) == toString ./."),
        ("dirOf-int", "dirOf 1"),
        (
            "splitVersion",
            r#"map builtins.splitVersion [ "1.2.3" "1.2pre3-x" "" "..a--b1" "2.3a" ]"#,
        ),
        (
            "compareVersions",
            r#"map (p: builtins.compareVersions (builtins.elemAt p 0) (builtins.elemAt p 1)) [ [ "1.0" "2.3" ] [ "2.1" "2.3" ] [ "2.3" "2.3" ] [ "2.5" "2.3" ] [ "3.1" "2.3" ] [ "2.3.1" "2.3" ] [ "2.3.1" "2.3a" ] [ "2.3pre1" "2.3" ] [ "2.3pre3" "2.3pre12" ] [ "2.3a" "2.3c" ] [ "2.3pre1" "2.3c" ] [ "2.3pre1" "2.3q" ] [ "1.0" "1.00" ] [ "" "1" ] [ "99999999999" "1" ] ]"#,
        ),
        (
            "parseDrvName",
            r#"map builtins.parseDrvName [ "hello-2.1-x" "nix-2.8.0" "foo-bar" "a-b-1" "plain" "x-" ]"#,
        ),
        (
            "match-unicode-group",
            r#"with builtins; [ (match "(.*)" "é") (split "(é)" "aéb") (match "(.)(.)" "é") ]"#,
        ),
        (
            "replaceStrings-unused-to",
            r#"builtins.replaceStrings [ "a" ] [ (throw "x") ] "b""#,
        ),
        ("toString-toString-int", "toString { __toString = s: 1; }"),
        (
            "toJSON-toString-int",
            "builtins.toJSON { __toString = s: 1; }",
        ),
        (
            "compareVersions-more",
            r#"map (p: builtins.compareVersions (builtins.elemAt p 0) (builtins.elemAt p 1)) [ [ "1.0" "1.0.0" ] [ "1.0.0" "1.0" ] [ "a" "b" ] [ "1a" "1" ] [ "1pre" "1pre" ] [ "" "" ] ]"#,
        ),
        (
            "stringLength-toString",
            "builtins.stringLength (toString 1.5)",
        ),
        (
            "match-groups-libstdcxx",
            r#"with builtins; [ (match "(a|ab)(bc|c)" "abc") (split "(a|ab)(bc|c)" "xabcx") (match "(a*)(ab)?b?" "aab") (match "(a?)((ab)?)(b?)" "ab") ]"#,
        ),
    ]);
}

#[test]
fn files() {
    check(&[
        ("import-file", "import ./value.nix"),
        ("import-directory", "import ./dir"),
        ("import-string-path", "import (toString ./dir/sub/b.nix)"),
        ("import-joined", r#"import (./dir + "/sub/b.nix")"#),
        ("import-missing", "import ./dir/missing.nix"),
        ("import-not-path", "import 1"),
        ("import-relative-string", r#"import "dir/sub/b.nix""#),
        ("readFile", "builtins.readFile ./dir/a.txt"),
        ("readFile-symlink", "builtins.readFile ./dir/link"),
        ("readFile-missing", "builtins.readFile ./dir/nope"),
        ("readFile-directory", "builtins.readFile ./dir"),
        ("readDir", "builtins.readDir ./dir"),
        ("readDir-sub", "builtins.readDir ./dir/sub"),
        (
            "readDir-names",
            "builtins.attrNames (builtins.readDir ./dir)",
        ),
        (
            "readDir-filter-import",
            r#"let d = builtins.readDir ./dir/sub; in map (n: import (./dir/sub + "/${n}")) (builtins.filter (n: d.${n} == "regular" && builtins.match ".*\\.nix" n != null) (builtins.attrNames d))"#,
        ),
        ("readDir-missing", "builtins.readDir ./nope"),
        ("readDir-file", "builtins.readDir ./dir/a.txt"),
        (
            "pathExists",
            "map builtins.pathExists [ ./dir ./dir/a.txt ./dir/link ./nope ./dir/sub/b.nix ]",
        ),
        ("pathExists-string", "builtins.pathExists (toString ./dir)"),
        ("pathExists-int", "builtins.pathExists 1"),
    ]);
}

#[test]
fn json() {
    check(&[
        (
            "toJSON-scalars",
            r#"map builtins.toJSON [ null true false 1 (-7) "s" ]"#,
        ),
        (
            "toJSON-floats",
            "map builtins.toJSON [ 0.1 1.0 1.0e20 123456789.0 1.5e-5 0.000123456789 123456.7 1234567.0 (-2.5) ]",
        ),
        (
            "toJSON-escapes",
            r#"builtins.toJSON "q\" b\\ n\n r\r t\t é 日 /""#,
        ),
        (
            "toJSON-control",
            r#"builtins.toJSON (builtins.fromJSON "\"\\u0001\\u001f\\b\\f\"")"#,
        ),
        (
            "toJSON-nested",
            r#"builtins.toJSON { b = [ null true { } [ ] ]; a = { c = "d"; }; "é" = 1; }"#,
        ),
        (
            "toJSON-outPath",
            r#"builtins.toJSON { a = { outPath = "x"; other = 1; }; }"#,
        ),
        (
            "toJSON-toString",
            r#"builtins.toJSON { __toString = self: "str"; }"#,
        ),
        ("toJSON-function", "builtins.toJSON (x: x)"),
        (
            "toJSON-deep-error",
            r#"builtins.toJSON [ { a = throw "x"; } ]"#,
        ),
        (
            "toJSON-roundtrip",
            r#"builtins.fromJSON (builtins.toJSON { a = [ 1 2.5 "x" null ]; b = { }; })"#,
        ),
        (
            "fromJSON",
            r#"builtins.fromJSON "{\"b\": [1, 2.5, -3, true, null], \"a\": {\"c\": \"d\"}}""#,
        ),
        (
            "fromJSON-scalars",
            r#"map builtins.fromJSON [ "1" "1.0" "-0" "1e2" "1E2" "\"s\"" "true" "null" " 1 " ]"#,
        ),
        (
            "fromJSON-unicode",
            r#"builtins.fromJSON "\"\\u00e9\\ud83d\\ude00 é\"""#,
        ),
        (
            "fromJSON-file",
            "builtins.fromJSON (builtins.readFile ./data.json)",
        ),
        ("fromJSON-empty", r#"builtins.fromJSON """#),
        ("fromJSON-trailing-comma", r#"builtins.fromJSON "[1,]""#),
        (
            "fromJSON-trailing-text",
            r#"builtins.fromJSON "{\"a\": 1} x""#,
        ),
        ("fromJSON-comment", r#"builtins.fromJSON "[1 /* c */]""#),
        ("fromJSON-not-string", "builtins.fromJSON 1"),
        (
            "toJSON-more-floats",
            "map builtins.toJSON [ 1.0e-300 123456.0 100000.0 1000000.0 0.0001 0.00001 2.5e10 ]",
        ),
    ]);
}

/// The reader's own guarantees where Nix has nothing to compare with: files outside the flake
/// are refused, runaway sizes are errors, a bad comparator ends, and values the reader cannot
/// know (opaque: here `inputs`) are never guessed but only forced where Nix would force them.
#[test]
fn reader_guarantees() {
    let dir = repo_root().join("tests/builtins");
    let eval =
        |expr: &str| inventory_gen::read::eval::eval_expression_json(&dir, expr, &["inputs"]);
    let fails = |expr: &str, needle: &str| match eval(expr) {
        Ok(v) => panic!("`{expr}` gave {v}, expected an error"),
        Err(d) => assert!(
            d.message.contains(needle),
            "`{expr}`: `{}` does not say `{needle}`",
            d.message
        ),
    };
    let gives = |expr: &str, want: serde_json::Value| match eval(expr) {
        Ok(v) => assert_eq!(v, want, "`{expr}`"),
        Err(d) => panic!("`{expr}` failed: {}", d.message),
    };
    for expr in [
        "builtins.readDir ../.",
        "builtins.readFile ../builtins.rs",
        "import ../common/mod.rs",
        "builtins.pathExists ../builtins.rs",
        "builtins.readDir /etc",
        r#"builtins.readFile "/etc/hostname""#,
    ] {
        fails(expr, "outside the flake");
    }
    fails("builtins.genList (x: x) 100000000000", "at most");
    fails(
        "builtins.length (builtins.genList (x: x) 100000000)",
        "at most",
    );
    // A comparator that is not an order ends, with a permutation of the list.
    gives(
        "builtins.sort builtins.lessThan (builtins.sort (a: b: true) (builtins.genList (x: x) 50))",
        serde_json::json!((0..50).collect::<Vec<_>>()),
    );
    gives(
        "builtins.length (builtins.sort (a: b: a == b || builtins.bitAnd a 1 == 0) (builtins.genList (x: x) 200))",
        serde_json::json!(200),
    );
    // Comparing values nested deeper than the evaluator's limit is an error, not a crash (on a
    // stack as large as the one the binary runs the evaluator on).
    let deep = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let dir = repo_root().join("tests/builtins");
            inventory_gen::read::eval::eval_expression_json(
                &dir,
                "let deep = n: builtins.foldl' (acc: x: [ acc ]) [ ] (builtins.genList (x: x) n); in builtins.elem (deep 450) [ (deep 450) ]",
                &[],
            )
            .map_err(|d| d.message)
        })
        .expect("thread")
        .join()
        .expect("no crash");
    assert!(
        deep.as_ref()
            .is_err_and(|m| m.contains("nested too deeply")),
        "{deep:?}"
    );
    // Opaque values: unknown where needed, untouched where not.
    gives(
        "builtins.length (map (x: x.y) [ inputs.a inputs.b ])",
        serde_json::json!(2),
    );
    gives(
        "builtins.attrNames { a = inputs.x; b = builtins.readDir inputs.self; }",
        serde_json::json!(["a", "b"]),
    );
    gives(
        "builtins.length (builtins.attrValues (builtins.mapAttrs (n: v: inputs.${n}) { a = 1; }))",
        serde_json::json!(1),
    );
    gives(
        "(builtins.tryEval inputs.x).success",
        serde_json::json!(true),
    );
    gives("builtins.seq [ inputs.x ] 1", serde_json::json!(1));
    for expr in [
        "builtins.attrNames inputs",
        "builtins.isAttrs inputs.nixpkgs",
        "builtins.length inputs.list",
        "builtins.filter (x: x) [ inputs.x ]",
        "builtins.toJSON inputs.x",
        "builtins.deepSeq [ inputs.x ] 1",
        "builtins.typeOf inputs.x",
        "builtins.match \"a\" inputs.x",
        "builtins.readDir inputs.self",
        "toString inputs.self",
        "builtins.sort builtins.lessThan [ 1 inputs.x ]",
    ] {
        fails(expr, "cannot be known");
    }
    // Paths Nix would copy to the store are not static; `toString` of a path is its name.
    fails("builtins.toJSON ./dir", "cannot be known");
    fails("builtins.stringLength ./dir", "cannot be known");
    gives(
        "baseNameOf (toString ./dir/a.txt)",
        serde_json::json!("a.txt"),
    );
}

/// `readDir` calls what is neither a file, a directory nor a link `unknown`, as Nix does: a
/// named pipe made at test time.
#[test]
fn read_dir_unknown() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("file"), "x").expect("write");
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !made {
        eprintln!("SKIP read_dir_unknown: mkfifo is not available");
        return;
    }
    let mismatches = differential(
        dir.path(),
        &[
            ("readDir-pipe", "builtins.readDir ./."),
            ("pathExists-pipe", "builtins.pathExists ./pipe"),
        ],
        false,
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // Nix would block reading the pipe; the reader refuses it without opening it.
    let read = inventory_gen::read::eval::eval_expression_json(
        dir.path(),
        "builtins.readFile ./pipe",
        &[],
    );
    assert!(
        read.as_ref()
            .is_err_and(|d| d.message.contains("not a regular file")),
        "{read:?}"
    );
}
