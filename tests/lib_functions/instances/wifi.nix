{
  instances.wifi.roles.default.machines.laptop = { };
  instances.backup.roles.server.machines.nas = { };
}
