{
  inputs.fleet.url = "path:./fleet";
  outputs =
    { self, fleet, ... }:
    let
      names = [ "web1" "web2" ];
    in
    {
      modules.web = ./services/web.nix;
      meta.name = fleet.lib.fleetName;
      inventory = fleet.lib.mkInventory {
        machines = names;
        instance = "frontend";
      };
    };
}
