{
  # `lib.mkMerge` and `lib.mkIf` in the inventory merge as the module system merges them:
  # each part of a mkMerge is a definition, `mkIf false` defines nothing. Under `settings`
  # they stay as written, for the module system in Nix.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  outputs =
    { nixpkgs, ... }:
    let
      inherit (nixpkgs) lib;
      withTim = true;
    in
    {
      modules.mesh = ./mesh.nix;
      inventory = lib.mkMerge [
        {
          machines.jon = { };
          machines.sara.tags = [ "laptop" ];
        }
        (lib.mkIf withTim { machines.tim.tags = [ "laptop" ]; })
        (lib.mkIf (!withTim) { machines.ghost = { }; })
        {
          instances = lib.mkMerge [
            {
              vpn = {
                module.name = "mesh";
                module.input = "self";
                roles.peer.tags.laptop = { };
                roles.peer.settings = lib.mkIf withTim { keepalive = 30; };
              };
            }
            (lib.mkIf false { off.module.name = "mesh"; })
            { vpn.roles.controller.machines = lib.mkIf withTim { jon = { }; }; }
          ];
        }
      ];
    };
}
