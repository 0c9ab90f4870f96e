{
  description = "clan-core template shape: the clan is bound in a let and only parts are exported";

  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";

  outputs =
    {
      self,
      clan-core,
      nixpkgs,
      ...
    }@inputs:
    let
      clan = clan-core.lib.clan {
        inherit self;
        specialArgs = { inherit inputs; };
        inventory = {
          machines.peer1.tags = [ "mesh" ];
          machines.peer2.tags = [ "mesh" ];
          instances.zerotier = {
            roles.controller.machines.peer1 = { };
            roles.peer.tags.mesh = { };
          };
        };
      };
    in
    {
      inherit (clan.config) nixosConfigurations nixosModules clanInternals;
      clan = clan;
    };
}
