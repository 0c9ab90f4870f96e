{
  outputs = _: {
    inventory = {
      machines = import ./inventory;
      meta.name = builtins.readFile ./inventory;
    };
  };
}
