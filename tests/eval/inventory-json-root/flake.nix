{
  description = "inventory.json at the flake root merges with the Nix definitions as an equal definition";
  outputs =
    { self, clan-core, ... }:
    clan-core.lib.clan {
      inherit self;
      inventory = {
        meta.name = "json-merge";
        machines.jon = {
          tags = [ "nix-tag" ];
          deploy.targetHost = "root@jon";
          machineClass = "nixos";
        };
        instances.backup = {
          module.name = "borgbackup";
          roles.client.machines.jon.settings.paths = [ "/home" ];
          roles.server.machines = { };
        };
      };
    };
}
