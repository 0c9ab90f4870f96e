{
  description = "every source at once: flake-parts inventory, clan config, imports, inventory.json, machines/ dirs";

  inputs = {
    flake-parts.url = "github:hercules-ci/flake-parts";
    clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
    inventory-gen.url = "github:example/inventory-gen";
  };

  outputs =
    inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } (
      { self, lib, ... }:
      {
        imports = [
          inputs.clan-core.flakeModules.default
          inputs.inventory-gen.flakeModules.default
        ];
        systems = [ "x86_64-linux" ];

        inventory.machines.web.tags = [ "top-level" ];
        inventory.instances.proxy.roles.server.machines.web = { };

        clan = {
          inherit self;
          imports = [
            ./clan.nix
            (import ./clan-fn.nix { owner = "ops"; })
          ];
          meta.name = "combined";
          machines.cli =
            { pkgs, ... }:
            {
              environment.systemPackages = [ pkgs.git ];
            };
          inventory.machines.db.deploy.targetHost = "root@db";
        };
      }
    );
}
