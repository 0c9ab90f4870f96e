{
  inventory.instances.web = {
    module.input = "self";
    roles.server.machines.jon = { };
    roles.server.settings.port = 8080;
  };
  inventory.machines.jon.tags = [ "from-services-nix" ];
}
