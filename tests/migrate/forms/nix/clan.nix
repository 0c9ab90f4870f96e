# The fleet, still in the legacy `services` API. Every comment here must survive `migrate`.
{ lib, ... }:
{
  meta.name = "forms";
  # The clan.service modules that take over from the legacy clanModules.
  modules.backup = ../services/backup.nix;
  modules.vpn = ../services/vpn.nix;
  inventory = {
    machines = {
      jon.tags = [ "laptop" ];
      sara.tags = [ "laptop" ];
      srv = { };
      gw = { };
    };
    # The legacy clanModules (directories with roles/<role>.nix).
    modules.backup = ../legacy/backup;
    modules.vpn = ../legacy/vpn;

    # Legacy instances in one attribute set.
    services = {
      # Nightly backups of the laptops to srv.
      backup.nightly = {
        enabled = true;
        roles.client.tags = [ "laptop" ];
        roles.server.machines = [
          "srv" # the big disk
        ];
        config.compression = "zstd"; # for clients and server alike
        machines.srv.config = {
          path = "/srv/backup";
        };
        extraModules = [ "extra/backup-hook.nix" ];
      };

      vpn = {
        # The office mesh.
        "office-mesh" = {
          roles.controller.machines = [ "gw" ];
          roles.controller.config = {
            port = lib.mkForce 51820;
          };
          roles.peer = {
            machines = [
              # laptops come by tag
              "srv"
            ];
            tags = [ "laptop" ];
            extraModules = [ ../extra/peer.nix ];
          };
        };
      };
    }; # end of services

    # A legacy instance written as dotted bindings.
    services.backup.weekly.roles.server.machines = [ "gw" ];
    services.backup.weekly.roles.client = { machines = [ "srv" ]; config.compression = "xz"; };
  };
}
