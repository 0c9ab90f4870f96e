# The inventory that generated/inventory/ was written from by hand. Derived from clan-core's
# lib/inventory/distributed-service/tests/settings.nix (test_simple, test_tag_settings), with hxi
# added to check that a machine's mkDefault loses to the role settings.
{ lib, ... }:
{
  meta.name = "settings-test";
  modules.A = ./services/A;
  modules.B = ./services/B;
  inventory = {
    machines = {
      jon.tags = [ "special" ];
      sara = { };
      hxi = { };
    };
    instances.instance_foo = {
      module = {
        name = "A";
        input = "self";
      };
      roles.peer.settings.timeout = 40;
      roles.peer.machines.jon.settings.timeout = lib.mkForce 42;
      roles.peer.machines.sara = { };
      roles.peer.machines.hxi.settings.timeout = lib.mkDefault 1;
    };
    instances.inst = {
      module = {
        name = "B";
        input = "self";
      };
      roles.peer.machines.jon = { };
      roles.peer.machines.sara = { };
      roles.peer.settings.timeout = 40;
      roles.peer.tags.special.settings.timeout = lib.mkForce 50;
    };
  };
}
