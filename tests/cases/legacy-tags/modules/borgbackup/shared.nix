# The options of the legacy borgbackup stand-in, shared by its roles.
{ lib, ... }:
{
  options.clan.borgbackup = {
    destination = lib.mkOption {
      type = lib.types.str;
      default = "/var/lib/borgbackup";
    };
    exclude = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
    };
  };
}
