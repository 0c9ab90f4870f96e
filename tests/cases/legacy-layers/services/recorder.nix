# The clan.service module that `inventory-gen migrate` moves the recorder instances to.
{ lib, ... }:
{
  _class = "clan.service";
  manifest.name = "recorder";
  roles.a = { };
  roles.b.interface.options = {
    port = lib.mkOption { type = lib.types.int; };
    attrs = lib.mkOption {
      type = lib.types.attrsOf lib.types.str;
      default = { };
    };
  };
  roles.c = { };
}
