# Test cases for the flake-parts module (nix/flake-module.nix), evaluated with the real flake-parts
# from <flake-parts> and the stand-ins of ./stand-ins.nix, on the hand-written fleet under ./fleet.
# Each attribute is one case for tests/nix_integration.rs (`nix-instantiate --eval --strict --json`).
let
  inherit (import ./common.nix)
    lib
    standIns
    flake-parts-lib
    project
    ;

  # A flake's inputs as flake-parts sees them: flakes are marked `_type = "flake"`.
  inputs = {
    self = {
      _type = "flake";
      outPath = toString ./fleet;
      inherit inputs;
    };
    nixpkgs = standIns.mkNixpkgs "fleet";
    nix-darwin = standIns.nix-darwin;
    marker = "from inputs";
  };

  # Declares `perSystem.pre-commit.settings.hooks` the way git-hooks.nix's flake module does.
  gitHooksStandIn =
    { flake-parts-lib, lib, ... }:
    {
      options.perSystem = flake-parts-lib.mkPerSystemOption {
        options.pre-commit.settings.hooks = lib.mkOption {
          type = lib.types.attrsOf (
            lib.types.submodule {
              freeformType = lib.types.lazyAttrsOf lib.types.anything;
              options.enable = lib.mkOption {
                type = lib.types.bool;
                default = false;
              };
            }
          );
          default = { };
        };
      };
    };

  evalFlake =
    modules:
    (flake-parts-lib.evalFlakeModule { inherit inputs; } {
      imports = modules;
      systems = [ "x86_64-linux" ];
    }).config;

  # The fleet's mkFlake module: the inventory is full of values that throw when forced.
  fleetModule = {
    inventory = {
      meta.name = "fleet";
      machines.web = throw "inventory.machines.web was evaluated";
      instances = throw "inventory.instances was evaluated";
    };
    modules.motd = throw "modules.motd was evaluated";
    meta = throw "meta was evaluated";
    machines.db = {
      files = [ "machines.db" ];
    };
    inventory-gen.extraModules = [ { extra.common = true; } ];
  };

  observeSystem = config: {
    app = {
      inherit (config.flake.apps.x86_64-linux.inventory-gen) type program meta;
    };
    check = {
      inherit (config.flake.checks.x86_64-linux.inventory-gen)
        name
        buildCommand
        envNames
        ;
      nativeBuildInputs = map (drv: "${drv.name} (${drv.flavor})") config.flake.checks.x86_64-linux.inventory-gen.nativeBuildInputs;
    };
    package = with config.allSystems.x86_64-linux.inventory-gen.package; "${name} (${flavor})";
    hasPreCommit = config.allSystems.x86_64-linux ? pre-commit;
  };

  observeMachine = configuration: {
    inherit (configuration) class;
    inherit (configuration.config.networking) hostName;
    files = lib.sort lib.lessThan configuration.config.files;
    inherit (configuration.config) extra;
  };

  flakeModule = ../../../nix/flake-module.nix;

  observeFlake = config: {
    outputs = builtins.attrNames config.flake;
    nixos = lib.mapAttrs (_: observeMachine) config.flake.nixosConfigurations;
    darwin = lib.mapAttrs (_: observeMachine) config.flake.darwinConfigurations;
    system = observeSystem config;
  };
in
{
  # The module alone: configurations, app, check; no git-hooks.nix, so no hook.
  plain = observeFlake (evalFlake [
    flakeModule
    fleetModule
  ]);

  # With git-hooks.nix's options present, the hook is defined.
  withGitHooks =
    let
      config = evalFlake [
        flakeModule
        gitHooksStandIn
        fleetModule
      ];
    in
    {
      inherit (observeSystem config) hasPreCommit;
      hook = config.allSystems.x86_64-linux.pre-commit.settings.hooks.inventory-gen;
    };

  # The hook can be turned off.
  withGitHooksDisabled = builtins.attrNames
    (evalFlake [
      flakeModule
      gitHooksStandIn
      fleetModule
      { inventory-gen.preCommitHook = false; }
    ]).allSystems.x86_64-linux.pre-commit.settings.hooks;

  # Through the project's `flakeModules.default`: the package comes from the project's flake.
  viaProjectFlake = observeFlake (evalFlake [
    project.flakeModules.default
    fleetModule
  ]);

  # A generated directory elsewhere, as a relative string: passed on with `--out`.
  customGenerated =
    let
      config = evalFlake [
        flakeModule
        gitHooksStandIn
        fleetModule
        { inventory-gen.generated = "nix/generated"; }
      ];
    in
    {
      system = observeSystem config;
      script = config.flake.apps.x86_64-linux.inventory-gen.program;
      hookFiles = config.allSystems.x86_64-linux.pre-commit.settings.hooks.inventory-gen.files;
    };

  # The root and the generated directory as paths.
  paths = observeFlake (evalFlake [
    flakeModule
    fleetModule
    {
      inventory-gen.directory = ./fleet;
      inventory-gen.generated = ./fleet/generated/inventory;
    }
  ]);

  # Everything optional turned off.
  disabled =
    let
      config = evalFlake [
        flakeModule
        fleetModule
        {
          inventory-gen.app = false;
          inventory-gen.flakeCheck = false;
          inventory-gen.setConfigurations = false;
        }
      ];
    in
    {
      outputs = builtins.attrNames config.flake;
      apps = builtins.attrNames config.flake.apps.x86_64-linux;
      checks = builtins.attrNames config.flake.checks.x86_64-linux;
      nixosConfigurations = builtins.attrNames config.flake.nixosConfigurations;
      # Still available for composing by hand.
      configurations = builtins.attrNames config.inventory-gen.configurations.nixosConfigurations;
    };

  # With clan-core (the input, or `inventory-gen.clan-core`): its clanCore module of the machine's
  # class and clan's settings reach every machine, and the index gets it as `inputs.clan-core`.
  withClanCore =
    let
      clan-core = {
        marker = "clan-core given";
        nixosModules.clanCore = {
          extra.clanCore = "nixos";
        };
        darwinModules.clanCore = {
          extra.clanCore = "darwin";
        };
      };
      observe = c: {
        inherit (c.config.extra) clanCore;
        indexClanCore = c.config.extra.indexClanCore or null;
        settings = c.config.clan.core.settings // {
          directory = toString c.config.clan.core.settings.directory;
        };
      };
      config = evalFlake [
        flakeModule
        fleetModule
        { inventory-gen.clan-core = clan-core; }
      ];
      without = evalFlake [
        flakeModule
        fleetModule
      ];
    in
    {
      nixos = lib.mapAttrs (_: observe) config.flake.nixosConfigurations;
      darwin = lib.mapAttrs (_: observe) config.flake.darwinConfigurations;
      withoutClanCore = lib.mapAttrs (_: c: c.config.extra.clanCore or null) without.flake.nixosConfigurations;
    };

  # Definitions in several modules can be read back (roughly merged).
  inventoryRead =
    (evalFlake [
      flakeModule
      { inventory.machines.a = { }; }
      { inventory.machines.b.tags = [ "x" ]; }
    ]).inventory;

  # The fixture's throws are real: reading the inventory does force them.
  failsReadingInventory =
    (evalFlake [
      flakeModule
      fleetModule
    ]).inventory.machines.web;
}
