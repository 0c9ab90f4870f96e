{
  description = "lib.clan { imports = [ ./clan/default.nix ]; }: nested imports, list definitions concatenated";
  outputs =
    { self, clan-core, ... }@inputs:
    clan-core.lib.clan {
      inherit self;
      imports = [ ./clan/default.nix ];
      inventory.machines.jon.tags = [ "from-flake" ];
      inventory.instances.web.roles.server.extraModules = [ ./extra/flake-level.nix ];
    };
}
