{
  outputs =
    { self, nixpkgs, ... }:
    {
      inventory.machines = nixpkgs.lib.genAttrs nixpkgs.machineNames (name: { });
    };
}
