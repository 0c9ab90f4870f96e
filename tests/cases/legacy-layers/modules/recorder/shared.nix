# The options of the legacy recorder module, shared by its roles.
{ lib, ... }:
{
  options.clan.recorder = {
    port = lib.mkOption {
      type = lib.types.int;
      default = 0;
    };
    list = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
    };
    attrs = lib.mkOption {
      type = lib.types.attrsOf lib.types.str;
      default = { };
    };
  };
}
