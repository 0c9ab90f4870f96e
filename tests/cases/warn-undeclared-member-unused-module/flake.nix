{
  outputs = inputs: {
    # clan-core reads a registered module only for the instances that use it: `gone` names a
    # directory that does not exist, and no instance uses it (a warning, not an error).
    modules.mesh = ./mesh.nix;
    modules.gone = ./services/gone;
    inventory = {
      machines.jon = { };
      instances.vpn = {
        module.name = "mesh";
        module.input = "self";
        # clan-core accepts members that are not declared machines: a warning listing them.
        roles.peer.machines.ghost = { };
        roles.peer.machines.phantom = { };
        roles.controller.machines.jon = { };
      };
    };
  };
}
