{
  outputs = _: {
    modules.svc = { roles.r = { }; };
    inventory = {
      machines.jon = { };
      instances = {
        a = [ ];
        b.module = "svc";
        e.roles = [ "r" ];
        f = { module.name = "svc"; roles.r = "jon"; };
      };
    };
  };
}
