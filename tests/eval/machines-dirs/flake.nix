{
  description = "every directory machines/<name>/ registers machine <name> = { }";
  outputs =
    inputs:
    inputs.clan-core.lib.clan {
      self = inputs.self;
      inventory.machines.alpha.tags = [ "dir-and-nix" ];
      inventory.machines.delta.description = "only in Nix";
      inventory.instances.i.roles.r.machines.beta = { };
    };
}
