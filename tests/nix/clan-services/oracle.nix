# clan-core's own answer for one fleet: evaluates the fleet's `clan.nix` with clan-core's
# `lib.clan` (from `<clan-core>`, through `clan-core.nix`) and observes every machine's
# service modules (`machineImports` for NixOS, `darwinImports` for darwin) with the shared
# observation harness `observe` (../shared/examples/real-services/observe-real.nix). Gives
# `{ <machine> = <observation>; }` (for every machine, or only `machine`).
{
  dir,
  observe,
  # Only this machine (all when null).
  machine ? null,
}:
let
  lib = import <nixpkgs/lib>;
  c = import observe { inherit lib; };
  clan-core = import ./clan-core.nix { inherit lib; };
  clan = import (<clan-core> + "/lib/clan") { inherit lib clan-core; } {
    self = {
      outPath = dir;
      inputs = { inherit clan-core; };
    };
    directory = dir;
    imports = [ (dir + "/clan.nix") ];
  };
  machines = clan.config.clanInternals.inventoryClass.machines;
  inventory = clan.config.inventory.machines;
in
lib.mapAttrs (
  name: m:
  let
    class = inventory.${name}.machineClass;
  in
  c.observe {
    inherit name class;
    domain = "clan";
    directory = dir;
  } (if class == "darwin" then m.darwinImports else m.machineImports)
) (if machine == null then machines else { ${machine} = machines.${machine}; })
