{
  inventory.machines.jon.machineClass = "darwin";
  inventory.instances.a.roles.r.machines.jon.settings.port = 1;
}
