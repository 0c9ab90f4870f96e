# Legacy borgbackup client: records its settings and, per instance, the servers it backs up to.
{ config, lib, ... }:
{
  imports = [ ../shared.nix ];
  borg.client = {
    inherit (config.clan.borgbackup) destination exclude;
    servers = lib.mapAttrs (_: i: i.roles.server.machines) config.clan.inventory.services.borgbackup;
  };
}
