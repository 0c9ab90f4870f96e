# The web server's own configuration (imported automatically because it is
# machines/web/configuration.nix; hardware-configuration.nix and disko.nix beside it would be too).
{ ... }:
{
  services.nginx.enable = true;
  networking.firewall.allowedTCPPorts = [
    80
    443
  ];
}
