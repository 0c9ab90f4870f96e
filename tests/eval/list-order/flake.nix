{
  description = "lists defined in three places (flake.nix, clan.nix, inventory.json) at different schema depths";
  outputs =
    { self, clan-core, ... }:
    clan-core.lib.clan {
      inherit self;
      imports = [ ./clan.nix ];
      # machines.<m> is a submodule 3 levels down, roles.<r> 4 levels: the module system reverses
      # the definition order once per level, so the two lists come out in opposite orders.
      inventory.machines.m.tags = [ "flake-1" "flake-2" ];
      inventory.tags.group = [ "flake" ];
      inventory.instances.i.roles.r.extraModules = [ ./modules/flake.nix ];
    };
}
