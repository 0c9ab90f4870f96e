{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  outputs =
    { nixpkgs, ... }:
    {
      nixosConfigurations.jon = nixpkgs.lib.nixosSystem { modules = [ ./configuration.nix ]; };
    };
}
