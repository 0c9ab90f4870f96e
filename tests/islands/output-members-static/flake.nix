# What ../output-members computes from its TOML file, written out by hand.
{
  outputs =
    { self, ... }:
    {
      modules.web = ./services/web.nix;
      inventory = {
        machines = {
          web1 = { };
          web2 = { };
          db = { };
        };
        instances.frontend = {
          module.name = "web";
          roles.server.machines = {
            web1.settings.port = 8080;
            web2.settings.port = 8080;
          };
        };
      };
    };
}
