# Test fixture: web's hardware configuration; records that it was imported.
{ ... }:
{
  files = [ "web/hardware-configuration.nix" ];
}
