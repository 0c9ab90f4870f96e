# The inventory that generated/inventory/ was written from (by inventory-gen, then by hand where
# the tool refuses: the unknown role of `strange`; and except machines/tom.nix, machines/uma.nix
# and machines/leg.nix, stale stubs: tom names a role `fine` does not define, uma has left
# `roster`, leg has role b, not a, in legacy instance `stale`). Every machine but ok is in one
# broken instance; tests/semantics.rs checks each error. instances/poison.nix stands for a file
# that must not be read when evaluating ok.
{ lib, ... }:
{
  meta.name = "errors-test";
  modules.A = ./services/A;
  modules.B = ./services/B;
  modules.C = ./services/C;
  modules.D = ./services/D;
  modules.E = ./services/E;
  inventory = {
    modules.recorder = ./legacy/recorder;
    services.recorder = {
      # Conflicting scalars in two `config` layers, neither with a priority.
      clash = {
        config.port = 1;
        roles.a.machines = [ "lex" ];
        machines.lex.config.port = 2;
      };
      # machines/leg.nix (stale) says role a; the instance file says b.
      stale.roles.b.machines = [ "leg" ];
    };
    machines = {
      hxi = { };
      jon = { };
      kim = { };
      lea = { };
      leg = { };
      lex = { };
      max = { };
      ned = { };
      ok = { };
      sara = { };
      tom = { };
      uma = { };
    };
    instances = {
      fine = {
        module = {
          name = "A";
          input = "self";
        };
        roles.peer.machines.ok.settings.timeout = 5;
      };
      # Conflicting scalars: neither layer has a priority.
      conflict = {
        module = {
          name = "A";
          input = "self";
        };
        roles.peer.settings.timeout = 40;
        roles.peer.machines.jon.settings.timeout = 41;
      };
      # A setting the interface does not declare.
      typo = {
        module = {
          name = "A";
          input = "self";
        };
        roles.peer.settings.timeout = 3;
        roles.peer.machines.sara.settings.timeot = 1;
      };
      # A role that service A does not define.
      strange = {
        module = {
          name = "A";
          input = "self";
        };
        roles.client.machines.hxi = { };
        roles.peer.machines.hxi.settings.timeout = 1;
      };
      # perMachine of B reads `settings`.
      per-machine = {
        module = {
          name = "B";
          input = "self";
        };
        roles.default.machines.kim = { };
      };
      # C uses clanLib.
      clanlib = {
        module = {
          name = "C";
          input = "self";
        };
        roles.default.machines.lea = { };
      };
      # D sets manifest.features, which clan.service does not have.
      features = {
        module = {
          name = "D";
          input = "self";
        };
        roles.default.machines.max = { };
      };
      # E reads the members of its role (a stale stub is found when they are read).
      roster = {
        module = {
          name = "E";
          input = "self";
        };
        roles.peer.machines = { };
      };
      poison = {
        module = {
          name = "A";
          input = "self";
        };
        roles.peer.machines.ned.settings.timeout = 1;
      };
    };
  };
}
