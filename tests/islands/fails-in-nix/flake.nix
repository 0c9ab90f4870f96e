{
  inputs.fleet.url = "path:./fleet";
  outputs =
    { self, fleet, ... }:
    {
      modules.web = ./services/web.nix;
      # The fleet library needs `instance` too: Nix refuses the call.
      inventory = fleet.lib.mkInventory { machines = [ "web1" ]; };
    };
}
