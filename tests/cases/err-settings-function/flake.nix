{
  outputs = _: {
    modules.svc = { roles.r = { }; };
    inventory = {
      machines.jon = { };
      instances.a = {
        module.name = "svc";
        roles.r.settings = { config, ... }: { port = config.port; };
      };
    };
  };
}
