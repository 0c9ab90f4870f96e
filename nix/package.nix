# The inventory-gen package: built with `rustPlatform.buildRustPackage` from a source filtered with
# `lib.fileset` (Cargo files, `src/`, the embedded `nix/runtime.nix`, `tests/`), version from
# Cargo.toml. Used by flake.nix (`packages`, `overlays.default`) and by the flake-parts module.
# Installs bash/zsh/fish completions and the man page, which the built binary prints
# (`inventory-gen completions <shell>`, `inventory-gen man`).
{
  lib,
  rustPlatform,
  stdenv,
  installShellFiles,
}:
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

  nativeBuildInputs = [ installShellFiles ];

  # The binary runs on the build machine only when it is built for it.
  postInstall = lib.optionalString (stdenv.buildPlatform.canExecute stdenv.hostPlatform) ''
    $out/bin/inventory-gen man > inventory-gen.1
    installManPage inventory-gen.1
    installShellCompletion --cmd inventory-gen \
      --bash <($out/bin/inventory-gen completions bash) \
      --zsh <($out/bin/inventory-gen completions zsh) \
      --fish <($out/bin/inventory-gen completions fish)
  '';

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
    license = lib.licenses.mit;
    homepage = "https://github.com/inventory-gen/inventory-gen";
    mainProgram = "inventory-gen";
    platforms = lib.platforms.unix;
  };
}
