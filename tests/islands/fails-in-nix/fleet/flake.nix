# A fleet library in a flake of its own: it builds an inventory from a list of machine names.
# inventory-gen cannot read another flake's code, so the call is an island for Nix.
{
  outputs =
    { self }:
    {
      lib.mkInventory =
        { machines, instance }:
        {
          machines = builtins.listToAttrs (
            map (name: {
              inherit name;
              value.tags = [ "web" ];
            }) machines
          );
          instances.${instance} = {
            module.name = "web";
            roles.server.tags.web = { };
            roles.server.settings.port = 8080;
          };
        };
      lib.fleetName = "islands";
    };
}
