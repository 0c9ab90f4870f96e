{
  outputs =
    { self, nixpkgs, ... }:
    {
      inventory.machines = nixpkgs.legacyPackages.x86_64-linux.hosts;
    };
}
