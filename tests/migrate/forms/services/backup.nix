# clan.service stand-in for backups.
{ lib, ... }:
{
  _class = "clan.service";
  manifest.name = "backup";
  roles.client.interface.options.compression = lib.mkOption { type = lib.types.str; };
  roles.server.interface.options = {
    compression = lib.mkOption { type = lib.types.str; };
    path = lib.mkOption {
      type = lib.types.str;
      default = "/var/backup";
    };
  };
}
