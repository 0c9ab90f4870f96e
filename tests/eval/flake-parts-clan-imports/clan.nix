{ lib, ... }:
{
  inventory = {
    machines.web1.tags = [ "web" ];
    machines.web2.tags = [ "web" ];
    instances.nginx = {
      module.input = "self";
      roles.server.tags.web = { };
      roles.server.settings = {
        workers = lib.mkForce 8;
        gzip = lib.mkDefault true;
      };
      roles.server.machines.web2.settings.workers = lib.mkOverride 10 16;
    };
  };
  machines.web1 =
    { config, ... }:
    {
      networking.firewall.allowedTCPPorts = [ 80 ];
    };
}
