# Seed 001, "Tags Example", in the legacy `services` API: clients by tag. The seed elides the
# other machines (`# ...`); backup_server is one of them.
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
          "jon" = {
            tags = [ "backup" ];
          };
          "sara" = {
            tags = [ "backup" ];
          };
          # ...
          "backup_server" = { };
        };
        modules.borgbackup = ./modules/borgbackup;
        services = {
          borgbackup.instance_1 = {
            roles.client.tags = [ "backup" ];
            roles.server.machines = [ "backup_server" ];
          };
        };
      };
    };
}
