{
  outputs = _: {
    inventory.machines = {
      a = "a machine";
      d.deploy = "root@d";
    };
  };
}
