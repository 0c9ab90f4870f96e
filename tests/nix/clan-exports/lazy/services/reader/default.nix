# Reads every export: the sorted `peer` hosts of the fleet, and the scope keys.
{ lib, ... }:
{
  _class = "clan.service";
  manifest.name = "reader";
  roles.default.perInstance =
    { exports, ... }:
    {
      nixosModule.peers = lib.sort lib.lessThan (
        lib.concatMap (e: map (h: h.plain) (if e.peer == null then [ ] else e.peer.hosts)) (
          lib.attrValues exports
        )
      );
      nixosModule.keys = lib.attrNames exports;
    };
}
