{
  description = "flake-parts: clan-core style clan = { inventory = …; } in an attrset module";

  inputs = {
    flake-parts.url = "github:hercules-ci/flake-parts";
    clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  };

  outputs =
    inputs:
    inputs.flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [ "x86_64-linux" ];
      clan = {
        inventory = {
          machines.gw.machineClass = "nixos";
          instances.wireguard = {
            roles.controller.machines.gw.settings.endpoint = "gw.example.org";
            roles.peer.tags = { all = { }; };
          };
        };
        specialArgs = { };
      };
    };
}
