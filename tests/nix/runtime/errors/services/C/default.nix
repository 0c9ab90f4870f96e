{ clanLib, ... }:
{
  _class = "clan.service";
  manifest.name = "C";
  roles.default.perInstance =
    { instanceName, ... }:
    {
      nixosModule.scope = clanLib.buildScopeKey { serviceName = "C"; };
    };
}
