{
  inventory.machines.jon = { };
  inventory.instances.web.roles.server = {
    machines.jon = { };
    settings.workers = 4;
  };
}
