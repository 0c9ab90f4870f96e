# The clan.service module `mod-A` of the stand-in flake input `libstd`.
{
  _class = "clan.service";
  manifest.name = "mod-A";
  roles.default.perInstance =
    { instanceName, machine, ... }:
    {
      nixosModule.libstd.greeting = "mod-A says hello to ${machine.name} in ${instanceName}";
    };
}
