# Test fixture: web's own configuration; records that it was imported.
{ ... }:
{
  files = [ "web/configuration.nix" ];
}
