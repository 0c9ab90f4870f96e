{
  # Settings the reader cannot know are carried into the generated files as Nix code, with
  # `inputs` (self included) and `lib` bound there: at role, machine and tag level, a package
  # of `self`, a value of an input's `lib`, and what an input's function computes. Membership
  # stays exact: the machines, tags and roles are data.
  inputs.fleet.url = "github:example/fleet";
  outputs =
    inputs@{ self, fleet, ... }:
    {
      # `self.packages…` is what this output is, where that is static: a package of an input
      # (carried as that input's), or what an input's function computes (carried as
      # `inputs.self.packages…`).
      packages.x86_64-linux = {
        hello = fleet.packages.x86_64-linux.hello;
        helper = fleet.lib.build { name = "helper"; };
      };
      modules.mesh = ./services/mesh;
      inventory = {
        machines.jon.tags = [ "edge" ];
        machines.sara = { };
        instances.net = {
          module.name = "mesh";
          roles.peer.tags.edge.settings.peers = inputs.fleet.lib.peers;
          roles.peer.machines.sara.settings = {
            package = self.packages.x86_64-linux.hello;
            port = 51820;
          };
          roles.peer.settings = {
            tool = fleet.lib.mkTool { name = "probe"; };
            motd = "${self.packages.x86_64-linux.hello}/bin/hello";
            interface = "wg0";
          };
          roles.hub.machines.jon.settings.helper = self.packages.x86_64-linux.helper;
        };
      };
    };
}
