# Settings of every NixOS machine (machineClass "nixos", the default). Adjust the platform, boot
# loader and file systems to your hardware (or put `nixos-generate-config`'s
# hardware-configuration.nix into machines/<name>/).
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
