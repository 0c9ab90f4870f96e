# Reads every export's value.
{ lib, ... }:
{
  _class = "clan.service";
  manifest.name = "all";
  roles.default.perInstance =
    { exports, ... }:
    {
      nixosModule.all = lib.mapAttrs (_: e: e.peer) exports;
    };
}
