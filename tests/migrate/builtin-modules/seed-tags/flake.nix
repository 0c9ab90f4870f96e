# Seed 001 (the "Inventory" guide), "Tags Example", verbatim from `buildClan {` on (the seed's
# `# ...` included): clan-core's built-in clanModule `borgbackup`, its clients chosen by tag.
# backup_server is the directory machines/backup_server/.
{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";

  outputs =
    { self, clan-core, ... }:
    let
      buildClan = args: clan-core.lib.buildClan ({ directory = self; } // args);
    in
    buildClan {
      inventory = {
        machines = {
          "jon" = {
            tags = [ "backup" ];
          };
          "sara" = {
            tags = [ "backup" ];
          };
          # ...
        };
        services = {
          borgbackup.instance_1 = {
            roles.client.tags = [ "backup" ];
            roles.server.machines = [ "backup_server" ];
          };
        };
      };
    };
}
