{
  description = "from extra.nix";
  tags = [ "extra" ];
}
