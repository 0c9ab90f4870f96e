# Records the settings it receives: its own and every peer's (via `roles`).
{ lib, ... }:
{
  _class = "clan.service";
  manifest.name = "tag-test";
  roles.peer.interface =
    { lib, ... }:
    {
      options.timeout = lib.mkOption { type = lib.types.int; };
    };
  roles.peer.perInstance =
    { instanceName, settings, roles, ... }:
    {
      nixosModule.recorded.${instanceName}.peer = {
        inherit settings;
        members = lib.mapAttrs (_: m: m.settings) roles.peer.machines;
      };
    };
}
