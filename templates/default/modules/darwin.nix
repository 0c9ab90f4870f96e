# Settings of every nix-darwin machine (machineClass "darwin"). nix-darwin has no boot loader
# or file systems to set, and its `system.stateVersion` is a number, not a NixOS release.
{ lib, ... }:
{
  nixpkgs.hostPlatform = lib.mkDefault "aarch64-darwin";

  system.stateVersion = 6;
}
