# A fleet managed with inventory-gen. `inventory-gen` reads the `inventory` below statically and
# writes one module per machine into generated/inventory (run `nix run .#inventory-gen` after every
# change and commit the result); inventory-gen's flake-parts module turns those into
# `nixosConfigurations` (and `darwinConfigurations`), adding machines/<name>/configuration.nix and
# modules/.
{
  description = "A fleet managed with inventory-gen";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    flake-parts.url = "github:hercules-ci/flake-parts";
    flake-parts.inputs.nixpkgs-lib.follows = "nixpkgs";
    inventory-gen.url = "github:inventory-gen/inventory-gen";
    inventory-gen.inputs.nixpkgs.follows = "nixpkgs";
  };

  outputs =
    inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      imports = [ inputs.inventory-gen.flakeModules.default ];

      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "aarch64-darwin"
        "x86_64-darwin"
      ];

      # Imported by every machine, beside its generated module and machines/<name>/configuration.nix:
      # modules/common.nix, and modules/nixos.nix or modules/darwin.nix by the machine's class.
      inventory-gen.extraModules = machine: [
        ./modules/common.nix
        ./modules/${machine.class}.nix
      ];

      # The fleet's own clan.service modules, by name (used below as `module.name = "motd"`).
      modules.motd = ./services/motd;

      inventory = {
        meta.name = "my-fleet";

        machines = {
          web = {
            description = "Public web server";
            tags = [ "server" ];
          };
          db = {
            description = "Database server";
            tags = [
              "server"
              "database"
            ];
          };
          laptop = {
            description = "Admin laptop";
            tags = [ "workstation" ];
          };
        };

        instances = {
          # Every machine (built-in tag `all`) says which fleet it belongs to.
          motd-fleet = {
            module = {
              name = "motd";
              input = "self";
            };
            roles.default.tags.all = { };
            roles.default.settings.message = "This machine belongs to my-fleet; its configuration lives in git.";
          };

          # Servers warn whoever logs in; db adds a line of its own.
          motd-servers = {
            module = {
              name = "motd";
              input = "self";
            };
            roles.default.tags.server = { };
            roles.default.settings.message = "Production server: change it through the flake, not by hand.";
            roles.default.machines.db.settings.extraLines = [ "Backups run nightly at 02:00." ];
          };
        };
      };
    };
}
