# Test case for the project's flake.nix: its `outputs` called with a stand-in nixpkgs input (the
# real nixpkgs lib, fake packages; see ./stand-ins.nix), without fetching anything. Evaluated by
# tests/nix_integration.rs with `nix-instantiate --eval --strict --json`.
let
  inherit (import ./common.nix)
    lib
    standIns
    root
    projectFlake
    project
    ;
  flake = projectFlake;
  outputs = project;
  system = "x86_64-linux";
  cargoToml = lib.importTOML (root + "/Cargo.toml");
  overlaid = lib.fix (final: standIns.mkPkgs "overlay" // outputs.overlays.default final { });
in
{
  inputs = builtins.attrNames flake.inputs;
  description = flake.description;
  outputs = builtins.attrNames outputs;
  libFunctions = builtins.attrNames outputs.lib;
  mkConfigurationsIsFunction = builtins.isFunction outputs.lib.mkConfigurations;
  flakeModule = {
    isModule = builtins.isAttrs outputs.flakeModules.default;
    keys = builtins.attrNames outputs.flakeModules.default;
    imports = map toString outputs.flakeModules.default.imports;
  };
  templates = lib.mapAttrs (_: template: {
    path = toString template.path;
    pathIsPath = builtins.isPath template.path;
    inherit (template) description;
    hasFlake = builtins.pathExists (template.path + "/flake.nix");
    hasReadme = builtins.pathExists (template.path + "/README.md");
  }) outputs.templates;
  overlay = {
    inherit (overlaid.inventory-gen) name version;
  };
  cargoVersion = cargoToml.package.version;
  systems = builtins.attrNames outputs.packages;
  packages = builtins.attrNames outputs.packages.${system};
  package =
    let
      package = outputs.packages.${system}.default;
      included = file: type: package.src.filter "${toString root}/${file}" type;
    in
    {
      inherit (package) pname version buildRustPackageArgs;
      inherit (package.meta) description mainProgram;
      lockFile = toString package.cargoLock.lockFile;
      # What the source filter lets through (without copying the source to the store).
      # lib.fileset needs `builtins.readFileType` (Nix >= 2.14): null on older Nix.
      source = lib.optionalAttrs (builtins ? readFileType) {
        cargoToml = included "Cargo.toml" "regular";
        cargoLock = included "Cargo.lock" "regular";
        main = included "src/main.rs" "regular";
        target = included "target" "directory";
        flake = included "flake.nix" "regular";
        templates = included "templates" "directory";
        docs = included "docs" "directory";
        flakeModule = included "nix/flake-module.nix" "regular";
      };
    };
  apps = lib.mapAttrs (_: app: {
    inherit (app) type program meta;
  }) outputs.apps.${system};
  checks = lib.mapAttrs (_: check: check.name) outputs.checks.${system};
  checkScripts = lib.mapAttrs (_: check: check.buildCommand or null) outputs.checks.${system};
  devShells = builtins.attrNames outputs.devShells.${system};
  formatter = outputs.formatter.${system}.settings;
}
