{
  m1 = {
    tags = [ "imported" ];
  };
  m2 = import ./m2.nix;
}
