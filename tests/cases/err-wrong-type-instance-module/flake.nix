{
  outputs = _: {
    modules.svc = { roles.r = { }; };
    inventory = {
      machines.jon = { };
      instances = {
        c.module.name = 7;
        d.module = { name = "svc"; input = true; };
      };
    };
  };
}
