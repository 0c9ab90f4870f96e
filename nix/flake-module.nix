# flake-parts module of inventory-gen (exported as `flakeModules.default`). It declares the
# inventory (`inventory`, `modules`, `meta`: read statically by the tool, never evaluated here) and
# `machines`, builds `nixosConfigurations` / `darwinConfigurations` from the generated directory
# with `lib.mkConfigurations`, and adds per system the app `inventory-gen`, the check
# `inventory-gen` (fails when the generated files are stale) and, when git-hooks.nix's module is
# imported, the pre-commit hook `inventory-gen`.
{
  lib,
  config,
  inputs,
  self,
  flake-parts-lib,
  ...
}:
let
  inherit (lib)
    literalExpression
    mkOption
    types
    ;

  cfg = config.inventory-gen;

  inherit (import ./lib.nix { inherit lib; }) mkConfigurations;

  # Accepts any value and never evaluates it: `inventory-gen` reads these definitions from the
  # source files. Reading the option gives the only definition, or several merged roughly with
  # `recursiveUpdate` (for a look in `nix repl`; the tool's merge is the real one).
  unevaluated =
    what:
    lib.mkOptionType {
      name = "unevaluated";
      description = "${what} (read statically by inventory-gen, not evaluated by Nix)";
      check = _: true;
      merge =
        _loc: defs:
        if lib.length defs == 1 then
          (lib.head defs).value
        else
          lib.foldl' lib.recursiveUpdate { } (map (def: def.value) defs);
    };

  # The generated directory, relative to the flake root (the tool's `--out`).
  generatedRelative =
    let
      value = cfg.generated;
      text = toString value;
      rootText = toString cfg.directory;
    in
    if !(lib.isPath value || lib.hasPrefix "/" text) then
      lib.removeSuffix "/" (lib.removePrefix "./" text)
    else if lib.hasPrefix "${rootText}/" text then
      lib.removePrefix "${rootText}/" text
    else
      throw "inventory-gen.generated (${text}) must be inside inventory-gen.directory (${rootText}), or relative to it.";

  defaultGenerated = generatedRelative == "generated/inventory";

  generatedPath =
    if lib.isPath cfg.directory then
      cfg.directory + "/${generatedRelative}"
    else
      "${toString cfg.directory}/${generatedRelative}";

  # `--out` (resolved by the tool against the working directory), only when not the default:
  # relative for the app and the hook (run at the flake's root), under `$src` for the check.
  outArgs = lib.optionalString (!defaultGenerated) " --out ${lib.escapeShellArg generatedRelative}";
  checkOutArgs = lib.optionalString (!defaultGenerated) " --out \"$src\"/${lib.escapeShellArg generatedRelative}";

  # Files whose changes may change the generated files (a Python regex, as pre-commit wants).
  hookFiles = "^(flake\\.nix|clan\\.nix|inventory\\.(json|nix)|(machines|services|modules|clan|inventory)/.*\\.nix|${lib.escapeRegex generatedRelative}/.*)$";
in
{
  _file = ./flake-module.nix;

  options = {
    inventory = mkOption {
      type = unevaluated "the clan inventory";
      default = { };
      description = ''
        The fleet's clan inventory: `machines`, `tags`, `instances` (and `meta`, `modules`),
        in clan-core's language. `inventory-gen` reads it statically from the source of the
        `mkFlake` module; Nix never evaluates it, so it may use anything the tool accepts.
        Run `nix run .#inventory-gen` after changing it.
      '';
      example = literalExpression ''
        {
          machines.web.tags = [ "server" ];
          instances.motd = {
            module.name = "motd";
            roles.default.tags.all = { };
          };
        }
      '';
    };

    modules = mkOption {
      type = unevaluated "clan.service modules by name";
      default = { };
      description = ''
        The flake's own `clan.service` modules, by name, as in clan-core: an instance uses one with
        `module.name = "<name>"` (and `module.input = "self"` or no input). Read statically by
        inventory-gen; the generated instance files import the module itself.
      '';
      example = literalExpression "{ motd = ./services/motd; }";
    };

    meta = mkOption {
      type = unevaluated "the inventory's meta";
      default = { };
      description = "Same as `inventory.meta` (`name`, `domain`, `description`, …). Read statically by inventory-gen.";
    };

    machines = mkOption {
      type = types.lazyAttrsOf types.deferredModule;
      default = { };
      description = ''
        Per-machine NixOS / nix-darwin modules, like clan-core's `machines.<name>`. Each name
        registers a machine for inventory-gen; its module is imported into that machine's
        configuration, beside its generated module and `machines/<name>/configuration.nix`.
      '';
    };

    inventory-gen = {
      directory = mkOption {
        type = types.raw;
        default = self;
        defaultText = literalExpression "self";
        description = ''
          The flake root: where `machines/<name>/` is looked up, and the source that the check runs
          `inventory-gen check` on.
        '';
      };

      generated = mkOption {
        type = types.either types.path types.str;
        default = "generated/inventory";
        example = literalExpression "./nix/generated";
        description = ''
          The generated directory: a path inside the flake, or a path relative to
          `inventory-gen.directory` (the tool's `--out`). The app, the check and the hook pass it
          on with `--out` when it is not the default.
        '';
      };

      extraModules = mkOption {
        type = types.coercedTo (types.listOf types.raw) (list: _machine: list) (
          types.functionTo (types.listOf types.deferredModule)
        );
        default = [ ];
        example = literalExpression ''
          machine: [ ./modules/common.nix ] ++ lib.optional (lib.elem "server" machine.tags) ./modules/server.nix
        '';
        description = ''
          Modules added to every machine: a list, or a function from the machine
          (`{ name, class, tags, deploy, description }`) to a list. Definitions are concatenated.
        '';
      };

      specialArgs = mkOption {
        type = types.lazyAttrsOf types.raw;
        default = { };
        description = "Extra module arguments for every machine, besides `inputs`.";
      };

      nixpkgs = mkOption {
        type = types.raw;
        default =
          inputs.nixpkgs
            or (throw "inventory-gen: the flake has no `nixpkgs` input: add it, or set `inventory-gen.nixpkgs`.");
        defaultText = literalExpression "inputs.nixpkgs";
        description = "The nixpkgs flake whose `lib.nixosSystem` builds the NixOS machines.";
      };

      clan-core = mkOption {
        type = types.nullOr types.raw;
        default = inputs.clan-core or null;
        defaultText = literalExpression "inputs.clan-core or null";
        description = ''
          clan-core (the flake): the services get its `clanLib`, and every machine its `clanCore`
          module and clan's `clan.core.settings` (from `meta` and the machine), as in clan.
          `null`: none of these.
        '';
      };

      vars = mkOption {
        type = types.lazyAttrsOf types.raw;
        default = { };
        example = literalExpression "{ settings.secretStore = \"password-store\"; }";
        description = ''
          clan's `vars` (as `clan.vars` of a clan flake): passed to every machine as clan does,
          through `clanConfig.vars`. Needs clan-core.
        '';
      };

      nix-darwin = mkOption {
        type = types.nullOr types.raw;
        default = inputs.nix-darwin or inputs.darwin or null;
        defaultText = literalExpression "inputs.nix-darwin or inputs.darwin or null";
        description = "The nix-darwin flake whose `lib.darwinSystem` builds darwin machines.";
      };

      setConfigurations = mkOption {
        type = types.bool;
        default = true;
        description = ''
          Whether to set `flake.nixosConfigurations` and `flake.darwinConfigurations`. Turn it off to
          compose them yourself from `inventory-gen.configurations`.
        '';
      };

      configurations = mkOption {
        type = types.raw;
        readOnly = true;
        description = "The result of `lib.mkConfigurations`: `{ nixosConfigurations; darwinConfigurations; }`.";
      };

      flakeCheck = mkOption {
        type = types.bool;
        default = true;
        description = ''
          Whether to add `checks.<system>.inventory-gen`: runs `inventory-gen check --diff` on the
          flake's source and fails, showing the diff, when the generated files are stale.
        '';
      };

      app = mkOption {
        type = types.bool;
        default = true;
        description = "Whether to add `apps.<system>.inventory-gen` (`nix run .#inventory-gen`).";
      };

      preCommitHook = mkOption {
        type = types.bool;
        default = true;
        description = ''
          Whether to enable the hook `pre-commit.settings.hooks.inventory-gen` (regenerates the
          files) when git-hooks.nix's flake module is imported. Without it, this does nothing.
        '';
      };
    };

    perSystem = flake-parts-lib.mkPerSystemOption (
      { pkgs, ... }:
      {
        _file = ./flake-module.nix;
        options.inventory-gen.package = mkOption {
          type = types.package;
          default = pkgs.callPackage ./package.nix { };
          defaultText = literalExpression "pkgs.callPackage <inventory-gen>/nix/package.nix { }";
          description = "The inventory-gen package that the app, the check and the hook run.";
        };
      }
    );
  };

  config = {
    inventory-gen.configurations = mkConfigurations {
      inherit (cfg)
        nixpkgs
        nix-darwin
        directory
        clan-core
        vars
        ;
      inherit inputs;
      inherit (config) machines;
      generated = generatedPath;
      modules = cfg.extraModules;
      inherit (cfg) specialArgs;
    };

    flake = lib.mkIf cfg.setConfigurations {
      inherit (cfg.configurations) nixosConfigurations darwinConfigurations;
    };

    perSystem =
      {
        config,
        options,
        pkgs,
        ...
      }:
      let
        package = config.inventory-gen.package;
        exe = lib.getExe package;
        program =
          if defaultGenerated then
            exe
          else
            "${pkgs.writeShellScript "inventory-gen" ''exec ${exe} "$@"${outArgs}''}";
      in
      {
        # `config` is spelled out, so that its contents may depend on `options`.
        config = lib.mkMerge [
          {
            apps = lib.mkIf cfg.app {
              inventory-gen = {
                type = "app";
                inherit program;
                meta.description = "Regenerate the inventory modules (${generatedRelative}) from the flake's inventory";
              };
            };

            checks = lib.mkIf cfg.flakeCheck {
              inventory-gen =
                pkgs.runCommand "inventory-gen-check"
                  {
                    nativeBuildInputs = [ package ];
                    src = cfg.directory;
                  }
                  ''
                    if ! inventory-gen check --diff --flake "$src"${checkOutArgs}; then
                      echo >&2
                      echo "inventory-gen: ${generatedRelative} is stale or the inventory has errors (see above)." >&2
                      echo "Run 'nix run .#inventory-gen' (or 'inventory-gen') in the flake and commit the result." >&2
                      exit 1
                    fi
                    touch "$out"
                  '';
            };
          }

          # git-hooks.nix's flake module declares `pre-commit`; without it, define nothing.
          (lib.optionalAttrs (options ? pre-commit) {
            pre-commit.settings.hooks.inventory-gen = lib.mkIf cfg.preCommitHook {
              enable = lib.mkDefault true;
              name = "inventory-gen";
              description = "Regenerate ${generatedRelative} from the flake's inventory";
              entry = program;
              pass_filenames = false;
              files = hookFiles;
            };
          })
        ];
      };
  };
}
