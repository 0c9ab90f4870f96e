{
  outputs = _: {
    modules.svc = { roles.r = { }; };
    inventory.machines.Jon = { };
    inventory.instances.Backup.module.name = "svc";
    inventory.instances.backup.module.name = "svc";
  };
}
