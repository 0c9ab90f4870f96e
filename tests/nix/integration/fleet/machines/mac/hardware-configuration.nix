# Test fixture: a darwin machine's hardware-configuration.nix must NOT be imported.
{ ... }:
{
  files = [ "mac/hardware-configuration.nix" ];
}
