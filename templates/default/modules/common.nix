# Settings every machine of the fleet shares; flake.nix adds this module to all of them with
# `inventory-gen.extraModules`. Adjust the platform, boot loader and file systems to your hardware
# (or put `nixos-generate-config`'s hardware-configuration.nix into machines/<name>/).
{ lib, ... }:
{
  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";

  boot.loader.systemd-boot.enable = lib.mkDefault true;
  fileSystems."/" = lib.mkDefault {
    device = "/dev/disk/by-label/nixos";
    fsType = "ext4";
  };

  services.openssh.enable = true;

  system.stateVersion = "25.11";
}
