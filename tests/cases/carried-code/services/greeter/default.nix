{ inputs }:
{
  _class = "clan.service";
  manifest.name = "greeter";
  roles.default = { };
}
