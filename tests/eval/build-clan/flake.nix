{
  description = "Older clan-core API: buildClan with directory = self";

  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";

  outputs =
    { self, clan-core, ... }:
    clan-core.lib.buildClan {
      directory = self;
      inventory = {
        machines."build-01" = {
          tags = [ "builder" ];
          installedAt = 1700000000;
        };
        instances.borgbackup = {
          module = {
            name = "borgbackup";
            input = "clan-core";
          };
          roles.client.tags = [ "builder" ];
          roles.server.machines."build-01" = { };
        };
      };
      pkgsForSystem = system: null;
    };
}
