{
  outputs = _: {
    modules.svc = { roles.r = { }; };
    inventory = {
      machines.jon = { };
      instances = {
        a = { module.name = "svc"; roles.r.tags = 1; };
        c = { module.name = "svc"; roles.r.machines.jon = "yes"; };
        f = { module.name = "svc"; roles.r.extraModules = ./extra.nix; };
      };
    };
  };
}
