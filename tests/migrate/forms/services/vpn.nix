# clan.service stand-in for a mesh VPN.
{ lib, ... }:
{
  _class = "clan.service";
  manifest.name = "vpn";
  roles.controller.interface.options.port = lib.mkOption { type = lib.types.port; };
  roles.peer = { };
}
