{
  description = "inventory = import ./inventory/default.nix; that file imports more files";
  outputs = inputs: {
    inventory = import ./inventory/default.nix;
  };
}
