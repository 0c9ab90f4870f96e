{ lib, ... }:
{
  inventory.machines.web = {
    tags = [ "clan-nix" ];
    description = "web server";
  };
  inventory.instances.proxy = {
    module.input = "self";
    roles.server.settings.upstream = lib.mkDefault "http://localhost:8080";
  };
}
