# Legacy borgbackup server: records its settings and, per instance, the clients it serves.
{ config, lib, ... }:
{
  imports = [ ../shared.nix ];
  borg.server = {
    inherit (config.clan.borgbackup) destination exclude;
    clients = lib.mapAttrs (_: i: i.roles.client.machines) config.clan.inventory.services.borgbackup;
  };
}
