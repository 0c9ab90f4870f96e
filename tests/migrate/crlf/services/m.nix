{
  _class = "clan.service";
  manifest.name = "m";
  roles.r = { };
  roles.s = { };
}
