# inventory-gen's Nix library (the flake's `lib` output): `mkConfigurations` turns the generated
# directory (`generated/inventory`, written by `inventory-gen`) into `nixosConfigurations` and
# `darwinConfigurations`, one per inventory machine. It never reads the inventory itself: the
# generated index is the only source of machines, classes and modules. Given clan-core (the
# `clan-core` input by default), every machine also gets what clan gives each machine: clan-core's
# `clanCore` module of its class and `clan.core.settings` from the inventory's meta and the machine
# (and `clanConfig.vars.settings` when `vars` is given), and the runtime gets clan-core's `clanLib`.
{ lib }:
let
  inherit (builtins)
    attrNames
    isPath
    pathExists
    ;
  # lib's isFunction also accepts functors (what `types.functionTo` merges into).
  inherit (lib) isFunction;

  # `root` may be a path (`./.`), a string, or a flake (`inputs.self`, an attrset with `outPath`).
  # A path stays a path, so nothing is copied to the store before it is needed.
  join = root: rel: if isPath root then root + "/${rel}" else "${toString root}/${rel}";

  # Values that may be given directly or as a function of the machine.
  perMachine = value: machine: if isFunction value then value machine else value;

  mkConfigurations =
    {
      # The nixpkgs flake (or anything with `lib.nixosSystem`).
      nixpkgs,
      # The nix-darwin flake (or anything with `lib.darwinSystem`); needed for darwin machines only.
      nix-darwin ? null,
      # The flake's inputs, passed to the generated index (for services of other flakes) and to
      # every machine as the module argument `inputs`. `inputs.self` is the default flake root.
      inputs ? { },
      # The flake root, where `machines/<name>/` is looked up. Default: `inputs.self`, else the
      # grandparent of `generated`.
      directory ? null,
      # The generated directory. Default: `<directory>/generated/inventory`.
      generated ? null,
      # Extra modules: a list for every machine, or a function from the machine
      # (`{ name, class, tags, deploy, description }`) to a list.
      modules ? (machine: [ ]),
      # Extra module arguments (`specialArgs`): an attrset, or a function from the machine to one.
      specialArgs ? { },
      # Per-machine modules by name, like clan-core's `machines.<name>`.
      machines ? { },
      # clan-core (the flake): its `clanLib` for the services, its `nixosModules.clanCore` /
      # `darwinModules.clanCore` and clan's settings for every machine. `null`: none of these
      # (services that need clanLib say so when evaluated).
      clan-core ? inputs.clan-core or null,
      # clan's `vars` (`{ settings = <module>; }`, as `clan.vars` in a clan flake): passed to the
      # machines as clan passes it, through `clanConfig`. Needs clan-core.
      vars ? { },
    }:
    let
      root =
        if directory != null then
          directory
        else if inputs ? self then
          inputs.self
        else if generated != null then
          dirOf (dirOf generated)
        else
          throw "inventory-gen lib.mkConfigurations: cannot find the flake root: pass `directory = ./.;` or `inputs` (with `self`).";

      generatedDir = if generated != null then generated else join root "generated/inventory";

      index =
        if pathExists (join generatedDir "default.nix") then
          import generatedDir {
            inputs = inputs // lib.optionalAttrs (clan-core != null) { inherit clan-core; };
          }
        else
          throw ''
            inventory-gen: ${toString generatedDir}/default.nix does not exist.
            Generate it with `nix run .#inventory-gen` (or `inventory-gen generate`) in the flake, then `git add` it:
            a flake only sees files that git tracks.'';

      # What clan-core gives every machine (its modules/clan/module.nix and
      # nixosModules/machineModules/forName.nix): the clanCore module of the machine's class and
      # clan's settings; the configuration.nix & co. that forName imports are imported below.
      clanBase =
        name: class:
        let
          meta = index.meta or { };
        in
        lib.optionals (clan-core != null) (
          lib.optional (clan-core ? "${class}Modules") clan-core."${class}Modules".clanCore
          ++ [
            {
              _file = "inventory-gen lib.mkConfigurations (clan's settings of machine '${name}')";
              clan.core.settings = {
                name = meta.name or (throw "inventory-gen: the inventory's meta has no `name`, which clan.core.settings.name needs: set `meta.name`.");
                icon = meta.icon or null;
                domain = meta.domain or "clan";
                directory = root;
                machine.name = name;
              };
            }
          ]
          ++ lib.optional (vars != { }) {
            _file = "inventory-gen lib.mkConfigurations (vars)";
            clanConfig = {
              vars.settings = vars.settings or { };
              clanInternals.vars.settings = varsSettings;
            };
          }
        );

      # clan's evaluated vars settings (`clanInternals.vars.settings`), against clan-core's options.
      varsSettings =
        let
          opts = "${toString clan-core.outPath}/modules/clan/vars/settings-opts.nix";
        in
        if clan-core ? outPath && pathExists opts then
          (lib.evalModules {
            modules = [
              opts
              (vars.settings or { })
            ];
          }).config
        else
          throw "inventory-gen lib.mkConfigurations: `vars` needs clan-core's source (`clan-core.outPath`) for clan's vars options.";

      unknownMachines = lib.subtractLists (attrNames index.machines) (attrNames machines);

      mkMachine =
        name: info:
        let
          class = info.class or "nixos";
          machine = info // {
            inherit name class;
          };
          machineDir = join root "machines/${name}";
          ifExists =
            file:
            let
              path = join machineDir file;
            in
            lib.optional (pathExists path) path;
          disko = lib.optionals (inputs ? disko && pathExists (join machineDir "disko.nix")) [
            (inputs.disko.nixosModules.default or inputs.disko.nixosModules.disko)
          ];
          allModules = clanBase name class ++ [
            (lib.setDefaultModuleLocation "${toString generatedDir} (modules.${name})" index.modules.${name})
            {
              _file = "inventory-gen lib.mkConfigurations";
              networking.hostName = lib.mkDefault name;
            }
          ]
          ++ ifExists "configuration.nix"
          ++ lib.optionals (class == "nixos") (ifExists "hardware-configuration.nix" ++ ifExists "disko.nix" ++ disko)
          ++ lib.optional (machines ? ${name}) (
            lib.setDefaultModuleLocation "machines.${name} (lib.mkConfigurations)" machines.${name}
          )
          ++ perMachine modules machine;
          args = {
            specialArgs = {
              inherit inputs;
            }
            // perMachine specialArgs machine;
            modules = allModules;
          };
        in
        if class == "darwin" then
          if nix-darwin == null then
            throw ''
              inventory-gen: machine `${name}` is a darwin machine (machineClass = "darwin"), but no nix-darwin was given.
              Add the input `nix-darwin.url = "github:nix-darwin/nix-darwin";` and pass `nix-darwin = inputs.nix-darwin;`
              to lib.mkConfigurations (the flake-parts module takes `inputs.nix-darwin` by default).''
          else
            nix-darwin.lib.darwinSystem args
        else
          nixpkgs.lib.nixosSystem args;

      ofClass =
        class:
        if unknownMachines != [ ] then
          throw ''
            inventory-gen: `machines` defines ${lib.concatMapStringsSep ", " (m: "`${m}`") unknownMachines}, which the generated
            inventory does not know: run `nix run .#inventory-gen` (or `inventory-gen generate`) and commit the result.''
        else
          lib.mapAttrs mkMachine (lib.filterAttrs (_: info: (info.class or "nixos") == class) index.machines);
    in
    {
      nixosConfigurations = ofClass "nixos";
      darwinConfigurations = ofClass "darwin";
    };
in
{
  inherit mkConfigurations;
}
