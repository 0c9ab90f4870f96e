# What ../function-of-input computes through its fleet library, written out by hand.
{
  outputs =
    { self, ... }:
    {
      modules.web = ./services/web.nix;
      meta.name = "islands";
      inventory = {
        machines = {
          web1.tags = [ "web" ];
          web2.tags = [ "web" ];
        };
        instances.frontend = {
          module.name = "web";
          roles.server.tags.web = { };
          roles.server.settings.port = 8080;
        };
      };
    };
}
