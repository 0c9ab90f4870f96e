{
  outputs = _: {
    inventory = import ./a.nix;
  };
}
