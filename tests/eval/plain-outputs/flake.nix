{
  description = "Plain outputs: the inventory is an attribute of the outputs";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = inputs: {
    inventory = {
      meta.name = "plain";
      machines = {
        jon = {
          tags = [ "web" "backup" ];
          machineClass = "nixos";
          deploy.targetHost = "root@jon.example.org";
        };
        sara = {
          machineClass = "darwin";
          description = "Sara's laptop";
        };
      };
      instances = {
        sshd = {
          module.name = "sshd";
          module.input = "clan-core";
          roles.server.tags.all = { };
          roles.client.machines.sara = { };
        };
      };
    };
    # Other outputs are irrelevant to the inventory.
    packages = { };
  };
}
