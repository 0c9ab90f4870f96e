{ lib, ... }:
{
  inlineNixos = lib.mkDefault "from a path";
}
