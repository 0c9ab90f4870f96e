# Every part of the legacy `services` API at once: `config` at instance, role and machine level
# with priorities, `extraModules` at every level (a path, a string relative to the flake, a
# module written inline), members by name and by tag (duplicates as clan-core listed them), a
# module role no instance uses, a disabled instance, a darwin member, and a machine whose
# `machines.<m>.config` is ignored because it is not a member of that instance.
{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs, ... }:
    let
      lib = nixpkgs.lib;
    in
    {
      modules.recorder = ./services/recorder.nix;
      inventory = {
        machines = {
          jon.tags = [ "backup" ];
          sara.tags = [ "backup" ];
          srv = { };
          kim.tags = [ "x" ];
          mac = {
            machineClass = "darwin";
            tags = [ "x" ];
          };
          lea = { };
        };
        modules.recorder = ./modules/recorder;
        services.recorder = {
          main = {
            config = {
              attrs.from = "instance";
              port = lib.mkDefault 1;
            };
            roles.a.machines = [
              "jon"
              "srv"
              "jon"
            ];
            roles.a.tags = [
              "backup"
              "backup"
            ];
            roles.a.config.attrs.a = "a";
            roles.b.machines = [ "srv" ];
            roles.b.config = {
              attrs.b = "b";
              list = [ "b" ];
            };
            roles.b.extraModules = [ ./extra/b.nix ];
            machines.srv.config.port = 7;
            machines.srv.extraModules = [ "extra/srv.nix" ];
            machines.kim.config.port = 9;
            extraModules = [ { recorder.extra.inline = true; } ];
          };
          off = {
            enabled = false;
            roles.a.machines = [ "kim" ];
          };
          second = {
            roles.b.tags = [ "x" ];
            config.port = lib.mkForce 42;
            machines.kim.config.attrs.who = "kim";
          };
        };
      };
    };
}
