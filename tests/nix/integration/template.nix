# Test cases for templates/default: its flake.nix evaluated through the real flake-parts with
# inventory-gen's `flakeModules.default` (from the project's flake.nix) and stand-in nixpkgs, as
# `nix flake init -t` gives it. Evaluated by tests/nix_integration.rs with
# `nix-instantiate --eval --strict --json`.
let
  inherit (import ./common.nix)
    lib
    standIns
    flake-parts-lib
    project
    root
    ;
  template = root + "/templates/default";
  flake = import (template + "/flake.nix");
  inputs = {
    self = outputs // {
      _type = "flake";
      outPath = toString template;
      inherit inputs;
    };
    nixpkgs = standIns.mkNixpkgs "template";
    flake-parts = {
      _type = "flake";
      lib = flake-parts-lib;
    };
    inventory-gen = project // {
      _type = "flake";
    };
  };
  outputs = flake.outputs inputs;
  system = "x86_64-linux";
  generated = builtins.pathExists (template + "/generated/inventory/default.nix");
in
{
  flake = {
    inputs = builtins.attrNames flake.inputs;
    outputs = builtins.attrNames outputs;
    apps = builtins.attrNames outputs.apps.${system};
    checks = builtins.attrNames outputs.checks.${system};
    package = outputs.apps.${system}.inventory-gen.program;
    inherit generated;
    services = builtins.attrNames (builtins.readDir (template + "/services"));
    machineDirs = builtins.attrNames (builtins.readDir (template + "/machines"));
  };

  # Only once the tool has generated the template's files: what each machine gets.
  machines = lib.mapAttrs (_: configuration: {
    inherit (configuration) class;
    inherit (configuration.config.networking) hostName;
    motd = configuration.config.users.motd;
  }) outputs.nixosConfigurations;

  # What modules/common.nix (every machine, darwin ones too) and the per-class modules set.
  modules = lib.genAttrs [ "common" "nixos" "darwin" ] (
    name:
    let
      m = import (template + "/modules/${name}.nix") {
        inherit lib;
        config = { };
        pkgs = { };
      };
    in
    {
      options = builtins.attrNames m;
      stateVersion = m.system.stateVersion or null;
    }
  );

  # Before the tool has run: a clear message saying how to generate the files.
  failsNotGenerated = builtins.attrNames outputs.nixosConfigurations;
}
