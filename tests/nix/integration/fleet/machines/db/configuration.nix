# Test fixture: db's own configuration; overrides the default host name.
{ ... }:
{
  files = [ "db/configuration.nix" ];
  networking.hostName = "database";
}
