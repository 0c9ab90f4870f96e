{
  outputs = _: {
    modules.svc = { roles.r = { }; };
    inventory = {
      machines.jon = { };
      instances = {
        b = { module.name = "svc"; roles.r.tags = [ "all" 2 ]; };
        d = { module.name = "svc"; roles.r.machines.jon.settings = [ ]; };
        e = { module.name = "svc"; roles.r.tags.all.settings = 1; };
        g = { module.name = "svc"; roles.r.extraModules = [ "./extra.nix" ]; };
      };
    };
  };
}
