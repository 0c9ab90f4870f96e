# Declares no exports; fails when run for any machine but a.
{
  _class = "clan.service";
  manifest.name = "grumpy";
  roles.default.perInstance =
    { machine, ... }:
    if machine.name == "a" then
      { nixosModule.grumpy = true; }
    else
      throw "grumpy was run for ${machine.name}";
}
