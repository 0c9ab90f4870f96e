# Seeds 000 and 001 (the "Inventory" guide), "Multiple Service Instances", verbatim from
# `buildClan {` on but for one `;`: the seeds write `"backup_backup_server" = {}` with none
# before `}`, which Nix rejects, so clan-core never read it as written. backup_server has role
# client and server in different instances of clan-core's built-in clanModule `borgbackup`.
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
          "jon" = {};
          "backup_server" = {};
          "backup_backup_server" = {};
        };
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
