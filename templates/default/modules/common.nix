# Settings every machine of the fleet shares, NixOS and nix-darwin alike: only options both
# have. flake.nix adds this module to every machine with `inventory-gen.extraModules`, and
# modules/nixos.nix or modules/darwin.nix by the machine's class.
{ ... }:
{
  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];
}
