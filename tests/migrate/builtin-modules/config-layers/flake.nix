# Legacy `services` of clan-core's built-in clanModules with config at every layer, written the
# ways clan-core's migration guide shows (instance, role and machine `config`, an `extraModules`
# string, tags), and a comment in each place migrate moves text from.
{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";

  outputs =
    { self, clan-core, ... }:
    clan-core.lib.buildClan {
      directory = self;
      inventory = {
        machines = {
          laptop.tags = [ "desktop" ];
          workstation.tags = [ "desktop" ];
          storage = { };
        };
        services = {
          # Backups of every desktop to the storage box.
          borgbackup.nightly = {
            roles.server.machines = [ "storage" ];
            roles.server.config = {
              directory = "/srv/borg"; # where the repositories live
            };
            roles.client.tags = [ "desktop" ];
            roles.client.extraModules = [ "modules/borg-client.nix" ];
          };

          sshd = {
            # One instance for the whole fleet.
            fleet = {
              roles.server.tags = [ "desktop" "desktop" ];
              roles.server.machines = [ "storage" ];
              roles.client.machines = [ "laptop" ];
              # Both roles get the domains.
              config.certificate.searchDomains = [ "lan.example" ];
              machines.laptop.config = {
                hostKeys.rsa.enable = true;
              };
            };
          };

          zerotier.home = {
            roles.controller.machines = [ "storage" ];
            roles.peer.tags = [
              "desktop"
              "desktop" # listed twice; clan-core applied `unique`
            ];
            machines.storage.config.networkName = "home";
          };
        };
      };
    };
}
