{
  outputs = inputs: {
    modules.mesh = ./mesh.nix;
    inventory = {
      machines.jon.tags = [ "backup" ];
      instances.vpn = {
        module.name = "mesh";
        module.input = "self";
        roles.peer.tags = [ "backups" ];
        roles.controller.machines.jon = { };
      };
    };
  };
}
