{
  description = "flake-parts: clan.inventory.… written as dotted paths, merged by the parser";

  inputs.flake-parts.url = "github:hercules-ci/flake-parts";

  outputs =
    inputs@{ flake-parts, self, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } (
      { ... }:
      {
        systems = [ "x86_64-linux" ];
        clan.inventory.machines.x = {
          tags = [ "t1" ];
        };
        clan.inventory.machines.y.tags = [ "t2" ];
        clan.inventory.machines.x.deploy.targetHost = "root@x";
        clan.inventory.instances.i.roles.r.machines.x = { };
        clan.inventory.instances.i.roles.r.tags.t2 = { };
        clan.inventory.instances.i.module.name = "some-service";
        clan.self = self;
      }
    );
}
