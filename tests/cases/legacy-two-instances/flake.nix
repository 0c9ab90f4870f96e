# Seed 001, "Multiple Service Instances", in the legacy `services` API: backup_server is a
# server in instance_1 and a client in instance_2.
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
          "jon" = { };
          "backup_server" = { };
          "backup_backup_server" = { };
        };
        modules.borgbackup = ./modules/borgbackup;
        services = {
          borgbackup.instance_1 = {
            roles.client.machines = [ "jon" ];
            roles.server.machines = [ "backup_server" ];
          };
          borgbackup.instance_2 = {
            roles.client.machines = [ "backup_server" ];
            roles.server.machines = [ "backup_backup_server" ];
          };
        };
      };
    };
}
