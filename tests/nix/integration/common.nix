# Shared by the test expressions: nixpkgs' lib from <nixpkgs/lib>, the stand-ins, flake-parts' lib
# from <flake-parts> (built as flake-parts' flake.nix does, without fetching its nixpkgs-lib
# input), and inventory-gen's own flake.nix evaluated with a stand-in nixpkgs (flavor "project").
let
  lib = import <nixpkgs/lib>;
  standIns = import ./stand-ins.nix { inherit lib; };

  moduleFiles =
    dir:
    lib.mapAttrs' (file: _: lib.nameValuePair (lib.removeSuffix ".nix" file) (dir + "/${file}")) (
      lib.filterAttrs (file: type: type == "regular" && lib.hasSuffix ".nix" file) (builtins.readDir dir)
    );

  root = ../../..;
  projectFlake = import (root + "/flake.nix");
  project = projectFlake.outputs {
    self = project // {
      _type = "flake";
      outPath = toString root;
    };
    nixpkgs = standIns.mkNixpkgs "project";
  };
in
{
  inherit
    lib
    standIns
    root
    projectFlake
    project
    ;

  flake-parts-lib = import <flake-parts/lib.nix> {
    inherit lib;
    builtinModules = moduleFiles <flake-parts/modules>;
    extraModules = moduleFiles <flake-parts/extras>;
  };
}
