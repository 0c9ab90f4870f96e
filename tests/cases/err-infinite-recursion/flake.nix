{
  outputs = _: {
    inventory = rec {
      machines = machines // { jon = { }; };
    };
  };
}
