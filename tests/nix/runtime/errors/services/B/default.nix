{
  _class = "clan.service";
  manifest.name = "B";
  roles.default = { };
  perMachine =
    { settings, ... }:
    {
      nixosModule.fromSettings = settings;
    };
}
