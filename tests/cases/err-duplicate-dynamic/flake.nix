{
  outputs = _: {
    inventory = {
      machines.jon.description = "a";
      machines.jon.${"description"} = "b";
      meta = { name = "x"; };
      meta.name = "y";
    };
  };
}
