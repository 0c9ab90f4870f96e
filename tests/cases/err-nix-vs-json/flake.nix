{
  outputs = _: {
    inventory.machines.jon.deploy.targetHost = "root@nix";
  };
}
