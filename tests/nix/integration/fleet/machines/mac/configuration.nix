# Test fixture: mac's own configuration (a darwin machine); records that it was imported.
{ ... }:
{
  files = [ "mac/configuration.nix" ];
}
