# Exports one `peer` host per member: its name.
{
  _class = "clan.service";
  manifest.name = "beacon";
  manifest.exports.out = [ "peer" ];
  roles.default.perInstance =
    { machine, mkExports, ... }:
    {
      exports = mkExports { peer.hosts = [ { plain = machine.name; } ]; };
      nixosModule.beacon = true;
    };
}
