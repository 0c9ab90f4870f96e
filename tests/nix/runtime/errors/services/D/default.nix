{
  _class = "clan.service";
  manifest.name = "D";
  manifest.features = [ "inventory" ];
  roles.default = { };
}
