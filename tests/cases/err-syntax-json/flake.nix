{
  outputs = inputs: {
    inventory.machines.jon = { };
  };
}
