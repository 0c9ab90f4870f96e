{
  outputs = _: {
    modules.svc = { roles.r = { }; };
    inventory = {
      machine.jon = { };
      machines.sara.tag = [ "web" ];
      machines.sara.deploy.targethost = "root@sara";
      instances.a = {
        modul.name = "svc";
        roles.r.machine.sara = { };
        roles.r.settigns = { };
      };
    };
  };
}
