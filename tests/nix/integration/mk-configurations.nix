# Test cases for `lib.mkConfigurations` (nix/lib.nix) on the hand-written fleet under ./fleet, with
# the stand-in nixpkgs and nix-darwin of ./stand-ins.nix. Each attribute is one case, evaluated by
# tests/nix_integration.rs with `nix-instantiate --eval --strict --json`; the cases whose names
# start with `fails` must fail with a clear message.
let
  lib = import <nixpkgs/lib>;
  standIns = import ./stand-ins.nix { inherit lib; };
  inherit (import ../../../nix/lib.nix { inherit lib; }) mkConfigurations;
  nixpkgs = standIns.mkNixpkgs "test";
  inherit (standIns) nix-darwin;

  # A flake's `self`: its outPath is a string, as in a real flake.
  self = {
    outPath = toString ./fleet;
  };

  observe = configuration: {
    inherit (configuration) class specialArgNames;
    hostName = configuration.config.networking.hostName;
    files = lib.sort lib.lessThan configuration.config.files;
    inherit (configuration.config) extra;
  };
  observeAll = result: {
    nixos = lib.mapAttrs (_: observe) result.nixosConfigurations;
    darwin = lib.mapAttrs (_: observe) result.darwinConfigurations;
  };
in
{
  # Everything given: the root comes from `inputs.self`.
  full = observeAll (mkConfigurations {
    inherit nixpkgs nix-darwin;
    inputs = {
      inherit self;
      marker = "from inputs";
    };
    modules = machine: [
      {
        extra.machine = "${machine.name} ${machine.class} ${lib.concatStringsSep "," machine.tags}";
      }
      (
        { greeting, inputs, ... }:
        {
          extra.specialArg = greeting;
          extra.inputsArg = inputs.marker;
        }
      )
    ];
    specialArgs = {
      greeting = "hello";
    };
    machines.db = {
      files = [ "machines.db" ];
    };
  });

  # The root as a path, `modules` as a list, `specialArgs` as a function of the machine.
  byDirectory = observeAll (mkConfigurations {
    inherit nixpkgs nix-darwin;
    directory = ./fleet;
    modules = [
      { extra.fromList = true; }
      (
        { greeting, ... }:
        {
          extra.specialArg = greeting;
        }
      )
    ];
    specialArgs = machine: { greeting = "hi ${machine.name}"; };
  });

  # Only `generated`: the root is its grandparent.
  byGenerated = observeAll (mkConfigurations {
    inherit nixpkgs nix-darwin;
    generated = ./fleet/generated/inventory;
  });

  # Without nix-darwin the NixOS machines still work.
  withoutNixDarwin = lib.mapAttrs (_: observe) (mkConfigurations {
    inherit nixpkgs;
    directory = ./fleet;
  }).nixosConfigurations;

  failsDarwinWithoutNixDarwin =
    (mkConfigurations {
      inherit nixpkgs;
      directory = ./fleet;
    }).darwinConfigurations.mac.config.networking.hostName;

  failsNotGenerated =
    (mkConfigurations {
      inherit nixpkgs nix-darwin;
      directory = ./fleet/machines;
    }).nixosConfigurations;

  failsUnknownMachine =
    (mkConfigurations {
      inherit nixpkgs nix-darwin;
      directory = ./fleet;
      machines.ghost = { };
    }).nixosConfigurations;

  failsNoRoot = (mkConfigurations { inherit nixpkgs; }).nixosConfigurations;
}
