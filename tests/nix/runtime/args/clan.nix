# The inventory that generated/inventory/ was written from by hand. Derived from clan-core's
# lib/inventory/distributed-service/tests/per_instance_args.nix and per_machine_args.nix, with
# sara as a server of instance_bar (so that jon's perMachine must not list "server") and a
# role-level mkDefault in instance_bar (so that its role-level view is defined).
{ lib, ... }:
{
  meta.name = "args-test";
  modules.A = ./services/A;
  inventory = {
    machines = {
      jon = { };
      sara = { };
    };
    instances.instance_foo = {
      module = {
        name = "A";
        input = "self";
      };
      roles.peer.machines.jon.settings.timeout = lib.mkForce "foo-peer-jon";
      roles.peer.settings.timeout = "foo-peer";
      roles.controller.machines.jon = { };
    };
    instances.instance_bar = {
      module = {
        name = "A";
        input = "self";
      };
      roles.peer.machines.jon.settings.timeout = "bar-peer-jon";
      roles.peer.settings.timeout = lib.mkDefault "bar-peer";
      roles.server.machines.sara = { };
    };
  };
}
