{
  outputs = _: {
    inventory.machines.jon.description = ''
      never closed
    ;
  };
}
