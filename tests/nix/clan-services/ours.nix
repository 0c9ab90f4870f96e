# inventory-gen's answer for one fleet: the generated directory (`generated`, written by the
# tool from the fleet) with `inputs.clan-core` from `clan-core.nix`, every machine observed as
# in `oracle.nix`. Gives `{ <machine> = <observation>; }` (every machine, or only `machine`).
{
  dir,
  generated,
  observe,
  # Only this machine (all when null).
  machine ? null,
}:
let
  lib = import <nixpkgs/lib>;
  c = import observe { inherit lib; };
  clan-core = import ./clan-core.nix { inherit lib; };
  gen = import generated { inputs = { inherit clan-core; }; };
in
lib.mapAttrs (
  name: m:
  c.observe {
    inherit name;
    inherit (m) class;
    domain = "clan";
    directory = dir;
  } [ gen.modules.${name} ]
) (if machine == null then gen.machines else { ${machine} = gen.machines.${machine}; })
