# clan.service stand-in with the roles x and y.
{
  _class = "clan.service";
  manifest.name = "a";
  roles.x = { };
  roles.y = { };
}
