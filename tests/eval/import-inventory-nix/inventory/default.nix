# Paths in an imported file are relative to that file.
let
  machines = import ./machines.nix;
in
{
  inherit machines;
  instances = import ./instances.nix // {
    extra = {
      module.name = "extra";
      roles.default.machines.m1 = { };
    };
  };
}
