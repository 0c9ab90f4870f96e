{
  outputs = inputs: {
    inventory = import ./inventory.nix;
  };
}
