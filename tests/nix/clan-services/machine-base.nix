# `lib.mkConfigurations` (nix/lib.nix) with clan-core: each machine of a generated fleet is built
# with clan-core's clanCore module (from `<clan-core>`; its parts that need nixpkgs or other
# flakes (sops-nix, disko, data-mesher, the NixOS modules it configures) stubbed by a freeform
# root and the fake `pkgs` of the observation harness `observe`). Gives, per machine, its vars
# generators (`<generator> = [ <file> … ]`), clan's settings and its vars secret store, and in
# `withVars` each machine's secret store when clan's `vars.settings` are given; for
# tests/clan_services.rs.
{
  dir,
  generated,
  observe,
}:
let
  lib = import <nixpkgs/lib>;
  inherit (lib) mkOption types;
  src = <clan-core>;
  fakePkgs = (import observe { inherit lib; }).fakePkgs;

  # clan-core's nixosModules/flake-module.nix `clanCore` without the other flakes' modules.
  clanCore =
    { _class, ... }:
    {
      imports = [ (src + "/nixosModules/clanCore") ];
      _module.args.pkgs = fakePkgs;
    };

  # What NixOS or nix-darwin would declare: everything accepted, `warnings` and `assertions`.
  base = {
    freeformType = types.lazyAttrsOf types.anything;
    options.warnings = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    options.assertions = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
    options.networking.hostName = mkOption { type = types.str; };
  };
  system =
    class:
    {
      modules,
      specialArgs ? { },
    }:
    lib.evalModules {
      inherit class specialArgs;
      modules = [ base ] ++ modules;
    };

  clan-core = import ./clan-core.nix { inherit lib clanCore; };
  mk =
    extra:
    (import ../../../nix/lib.nix { inherit lib; }).mkConfigurations (
      {
        nixpkgs.lib.nixosSystem = system "nixos";
        nix-darwin.lib.darwinSystem = system "darwin";
        directory = dir;
        inherit generated;
        inputs = { inherit clan-core; };
      }
      // extra
    );
  result = mk { };
  # clan's vars settings, passed through clanConfig.
  withVars = mk { vars.settings.secretStore = "password-store"; };
  observeOne =
    c:
    let
      core = c.config.clan.core;
    in
    {
      generators = lib.mapAttrs (_: g: lib.attrNames g.files) core.vars.generators;
      settings = {
        inherit (core.settings) name domain;
        machine = core.settings.machine.name;
        directory = toString core.settings.directory;
      };
      secretStore = core.vars.settings.secretStore;
    };
in
lib.mapAttrs (_: observeOne) (result.nixosConfigurations // result.darwinConfigurations)
// {
  withVars = lib.mapAttrs (_: c: c.config.clan.core.vars.settings.secretStore) (
    withVars.nixosConfigurations // withVars.darwinConfigurations
  );
}
