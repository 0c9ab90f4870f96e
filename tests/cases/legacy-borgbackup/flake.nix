# Seed 001, "Borgbackup Example", in the legacy `services` API: one instance of a legacy
# clanModule (a directory with roles/client.nix and roles/server.nix).
{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";

  outputs =
    { self, clan-core, ... }:
    clan-core.lib.buildClan {
      directory = self;
      # The clan.service module that `inventory-gen migrate` moves the instances to.
      modules.borgbackup = ./services/borgbackup.nix;
      inventory = {
        machines = {
          jon = { };
          backup_server = { };
        };
        modules.borgbackup = ./modules/borgbackup;
        services = {
          borgbackup.instance_1 = {
            # Machines can be added here.
            roles.client.machines = [ "jon" ];
            roles.server.machines = [ "backup_server" ];
          };
        };
      };
    };
}
