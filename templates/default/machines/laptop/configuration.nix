# The laptop's own configuration (imported automatically because it is
# machines/laptop/configuration.nix). Its host name defaults to `laptop`, as for every machine.
{ ... }:
{
  networking.networkmanager.enable = true;
}
