{ ... }:
{
  _class = "clan.service";
  manifest.name = "web";
  roles.server.perInstance =
    { settings, ... }:
    {
      nixosModule.services.web.port = settings.port;
    };
}
