{
  outputs = _: {
    inventory.machines = {
      b.tags = [ "ok" 42 ];
      c.machineClass = 1;
      e.deploy.targetHost = 22;
      f.deploy.forwardAgent = "yes";
      g.description = [ ];
      h.installedAt = "yesterday";
      i.name = { };
    };
  };
}
