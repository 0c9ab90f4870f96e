{
  outputs =
    { self, nixpkgs, ... }:
    {
      inventory.machines = nixpkgs.lib.genAttrs [ "jon" "sara" ] (name: { });
    };
}
