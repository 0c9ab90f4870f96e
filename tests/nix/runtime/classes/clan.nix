# The inventory that generated/inventory/ was written from by hand. Derived from clan-core's
# lib/inventory/distributed-service/tests/machine_imports.nix and extraModules.nix, with a darwin
# machine kim added, jon also a server with a server-only extra module, and lou using a service
# module that is a file holding plain attrsets.
{
  meta.name = "classes-test";
  modules.A = ./services/A;
  modules.inline = ./services/inline.nix;
  inventory = {
    machines = {
      jon = { };
      kim.machineClass = "darwin";
      lou = { };
    };
    instances.A = {
      module.input = "self";
      roles.peer.tags.all = { };
      roles.peer.extraModules = [ ./modules/oneOption.nix ];
      roles.server.machines.jon = { };
      roles.server.extraModules = [ ./modules/serverOnly.nix ];
    };
    instances.plain = {
      module = {
        name = "inline";
        input = "self";
      };
      roles.default.machines.lou = { };
    };
  };
}
