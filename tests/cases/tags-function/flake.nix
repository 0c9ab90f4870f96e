{
  # `inventory.tags` as a module function of clan-core's tags submodule: `config` holds the
  # built-in tags (`all`, `nixos`, `darwin`, computed from the machines) and every other tag,
  # those the function itself defines included.
  outputs = inputs: {
    modules.mesh = ./mesh.nix;
    inventory = {
      machines.jon = { };
      machines.sara.tags = [ "laptop" ];
      machines.mac.machineClass = "darwin";
      tags =
        { config, machines, ... }:
        {
          everyone = config.all;
          linux = config.nixos;
          apple = config.darwin;
          mixed = config.darwin ++ config.laptop;
          notJon = builtins.filter (n: n != "jon") config.all;
          named = builtins.attrNames machines;
        };
      # A tag written as data elsewhere is part of `config` too.
      imports = [ { tags.laptop = [ "jon" ]; } ];
      instances.vpn = {
        module.name = "mesh";
        module.input = "self";
        roles.peer.tags.mixed = { };
        roles.controller.tags = [ "linux" ];
      };
    };
  };
}
