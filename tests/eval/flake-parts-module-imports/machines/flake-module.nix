# A flake-parts module (not a machine: machines are directories).
{ self, lib, ... }:
{
  imports = [ ./services.nix ];
  clan = {
    inherit self;
    inventory.machines.db = {
      tags = [ "storage" ];
      deploy.targetHost = "root@db.internal";
    };
    inventory.machines.cache.machineClass = "nixos";
  };
}
