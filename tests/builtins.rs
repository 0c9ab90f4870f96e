//! Differential tests of the reader's builtins and nixpkgs `lib` functions against real Nix:
//! every case is evaluated by inventory-gen's evaluator and by `nix-instantiate --eval --strict
//! --json`, and both must give the same value (or both fail). Cases that need `lib` compare with
//! `<nixpkgs/lib>` and are skipped, with a SKIP line, when it is not on `NIX_PATH`.

mod common;

use common::{assert_same_as_nix, have_nixpkgs_lib, repo_root};

fn check(cases: &[(&str, &str)], with_lib: bool) {
    assert_same_as_nix(&repo_root().join("tests/builtins"), cases, with_lib);
}

#[test]
fn language_core() {
    check(
        &[
            ("let", "let a = 1; b = a + 1; in [ a b ]"),
            ("rec", "rec { a = 1; b = a + 1; }"),
            (
                "lambda-pattern",
                "({ a, b ? a + 1, ... }@args: [ a b (args ? c) ]) { a = 1; c = 3; }",
            ),
            (
                "with-lexical-wins",
                "let x = 1; in with { x = 2; y = 3; }; [ x y ]",
            ),
            (
                "with-does-not-shadow-builtins",
                "with { import = 1; }; import ./value.nix",
            ),
            ("throw-is-an-error", "throw \"no\""),
            ("missing-attr-default", "{ a = 1; }.b or 2"),
            ("string-interpolation", "let n = \"x\"; in \"a${n}b\""),
        ],
        false,
    );
}

#[test]
fn files() {
    check(
        &[
            (
                "fromJSON-readFile",
                "builtins.fromJSON (builtins.readFile ./data.json)",
            ),
            ("import", "import ./value.nix"),
        ],
        false,
    );
}

#[test]
fn lib_priorities() {
    if !have_nixpkgs_lib("lib_priorities") {
        return;
    }
    check(
        &[
            ("mkForce", "lib.mkForce 1"),
            ("mkDefault", "lib.mkDefault { a = 1; }"),
            ("mkOverride", "lib.mkOverride 10 [ 1 ]"),
        ],
        true,
    );
}
