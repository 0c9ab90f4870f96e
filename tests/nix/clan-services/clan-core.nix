# A stand-in for the clan-core flake object, built from clan-core's Nix code on NIX_PATH
# (`<clan-core>`): what a fleet's flake sees as `inputs.clan-core` (its `clanLib`/`lib`, its
# services as `clan.modules`, its clan module, its source as `outPath`) without network or
# nixpkgs. Used by both sides of the comparison in `oracle.nix` and by tests/clan_services.rs.
# `clanCore` (optional) replaces its `nixosModules.clanCore`/`darwinModules.clanCore`.
{
  lib,
  clanCore ? null,
}:
let
  src = <clan-core>;
  self = {
    outPath = src;
    clanLib = import (src + "/lib") { inherit lib; };
    lib = self.clanLib;
    modules.clan.default = lib.modules.importApply (src + "/modules/clan/default.nix") {
      clan-core = self;
    };
    clan = {
      modules = lib.mapAttrs (name: _: src + "/clanServices/${name}") (
        lib.filterAttrs (_: kind: kind == "directory") (builtins.readDir (src + "/clanServices"))
      );
      deprecatedModules = [ ];
      templates = { };
    };
    inputs.nixpkgs.lib = lib;
  }
  // lib.optionalAttrs (clanCore != null) {
    nixosModules.clanCore = clanCore;
    darwinModules.clanCore = clanCore;
  };
in
self
