# Real Nix's answer for this fixture: ../mock.nix stands in for the flake's inputs.
let
  mock = import ../mock.nix { dir = ./.; };
in
mock.inventoryOf ((import ./flake.nix).outputs mock.inputs)
