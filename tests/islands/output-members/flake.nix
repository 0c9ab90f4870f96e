{
  outputs =
    { self, ... }:
    {
      # The web servers' names come from a TOML file, which the static reader does not read:
      # the members below are an island for Nix.
      lib.webMachines = (builtins.fromTOML (builtins.readFile ./web.toml)).machines;
      modules.web = ./services/web.nix;
      inventory = {
        machines = {
          web1 = { };
          web2 = { };
          db = { };
        };
        instances.frontend = {
          module.name = "web";
          roles.server.machines = builtins.listToAttrs (
            map (name: {
              inherit name;
              value.settings.port = 8080;
            }) self.lib.webMachines
          );
        };
      };
    };
}
