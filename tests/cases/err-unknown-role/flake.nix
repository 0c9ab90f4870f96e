{
  outputs = inputs: {
    modules.mesh = ./mesh.nix;
    inventory = {
      machines.jon = { };
      instances.vpn = {
        module.name = "mesh";
        module.input = "self";
        roles.peers.machines.jon = { };
      };
    };
  };
}
