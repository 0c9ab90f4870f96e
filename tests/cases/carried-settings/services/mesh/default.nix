{
  _class = "clan.service";
  manifest.name = "mesh";
  roles.peer = { };
  roles.hub = { };
}
