{
  outputs = _: {
    inventory = import ./clan.nix;
  };
}
