{
  # A spliced module must be closed: a free variable in a pattern default (or anywhere else in
  # it) would make the generated file fail to parse with "undefined variable".
  outputs =
    inputs:
    let
      defaultGreeting = "hello";
    in
    {
      modules.mesh = ./mesh.nix;
      inventory = {
        machines.jon = { };
        instances.default-argument = {
          module.name = "mesh";
          module.input = "self";
          roles.peer.machines.jon = { };
          roles.peer.extraModules = [
            ({ greeting ? defaultGreeting, ... }: { environment.etc.greeting.text = greeting; })
          ];
        };
        instances.inherited = {
          module.name = "mesh";
          module.input = "self";
          roles.peer.machines.jon = { };
          roles.peer.extraModules = [
            ({ config, ... }: { networking.hostName = let inherit defaultGreeting; in defaultGreeting; })
          ];
        };
        instances.interpolated = {
          module.name = "mesh";
          module.input = "self";
          roles.peer.machines.jon = { };
          roles.peer.extraModules = [
            ({ config, ... }: { networking.domain = "${defaultGreeting}.example"; })
          ];
        };
      };
    };
}
