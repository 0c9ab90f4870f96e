{
  outputs = _: {
    modules.svc = { roles.r = { }; };
    inventory = { };
  };
}
