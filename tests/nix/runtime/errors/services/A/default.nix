{
  _class = "clan.service";
  manifest.name = "network";
  roles.peer.interface =
    { lib, ... }:
    {
      options.timeout = lib.mkOption { type = lib.types.int; };
    };
  roles.peer.perInstance =
    { instanceName, settings, ... }:
    {
      nixosModule.timeouts.${instanceName} = settings.timeout;
    };
  roles.server = { };
}
