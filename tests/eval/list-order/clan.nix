{
  inventory.machines.m.tags = [ "clan-1" "clan-2" ];
  inventory.tags.group = [ "clan" ];
  inventory.instances.i.roles.r.extraModules = [ ./modules/clan.nix ];
}
