# The inventory-gen package: built with `rustPlatform.buildRustPackage` from a source filtered with
# `lib.fileset` (Cargo files, `src/`, the embedded `nix/runtime.nix`, `tests/`), version from
# Cargo.toml. Used by flake.nix (`packages`, `overlays.default`) and by the flake-parts module.
{ lib, rustPlatform }:
let
  cargoToml = lib.importTOML ../Cargo.toml;
  fs = lib.fileset;
in
rustPlatform.buildRustPackage {
  pname = cargoToml.package.name;
  inherit (cargoToml.package) version;

  src = fs.toSource {
    root = ../.;
    fileset = fs.unions [
      ../Cargo.toml
      ../Cargo.lock
      ../src
      # Embedded in the binary and copied into every generated directory.
      (fs.maybeMissing ../nix/runtime.nix)
      # Fixtures that unit tests may read.
      (fs.maybeMissing ../tests)
    ];
  };

  cargoLock.lockFile = ../Cargo.lock;

  # The integration tests (tests/*.rs) need `nix-instantiate` and nixpkgs' lib, which the build
  # sandbox does not have: they run with `cargo test` where Nix is installed (CI, `.ci/run`).
  cargoTestFlags = [
    "--lib"
    "--bins"
  ];

  meta = {
    description = "Generates one NixOS / nix-darwin module per machine from a clan-style fleet inventory";
    longDescription = ''
      inventory-gen reads the clan-core style inventory of a flake statically (without evaluating
      it), resolves machines, tags, roles and instances, and writes one small module per machine
      into `generated/inventory`, checked into git, so that a review shows which machine gains or
      loses which service and Nix never computes the graph.
    '';
    mainProgram = "inventory-gen";
    platforms = lib.platforms.unix;
  };
}
