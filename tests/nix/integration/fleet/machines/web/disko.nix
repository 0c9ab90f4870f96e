# Test fixture: web's disk layout; records that it was imported.
{ ... }:
{
  files = [ "web/disko.nix" ];
}
