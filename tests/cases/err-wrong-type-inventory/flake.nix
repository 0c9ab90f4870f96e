{
  outputs = _: {
    inventory = [ { machines.jon = { }; } ];
  };
}
