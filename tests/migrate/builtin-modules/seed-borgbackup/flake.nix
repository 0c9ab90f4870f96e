# Seed 001 (the "Inventory" guide), "Borgbackup Example", verbatim from `buildClan {` on: a
# legacy instance of clan-core's built-in clanModule `borgbackup` (the flake defines no
# `inventory.modules.borgbackup`). The machines are the directories machines/<name>/.
{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";

  outputs =
    { self, clan-core, ... }:
    let
      buildClan = args: clan-core.lib.buildClan ({ directory = self; } // args);
    in
    buildClan {
      inventory = {
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
