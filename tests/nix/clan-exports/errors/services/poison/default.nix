# Its export of q fails when read.
{
  _class = "clan.service";
  manifest.name = "poison";
  manifest.exports.out = [ "peer" ];
  roles.default.perInstance =
    { machine, mkExports, ... }:
    {
      exports = mkExports (
        if machine.name == "q" then throw "the export of q was read" else { peer.hosts = [ ]; }
      );
      nixosModule.poison = machine.name;
    };
}
