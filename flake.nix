# inventory-gen's flake: the package and app, an overlay, the Nix library (`lib.mkConfigurations`),
# the flake-parts module, the starter template, and checks, a dev shell and a formatter for working
# on the tool. Its only input is nixpkgs: development tools come from nixpkgs too, so consumers
# lock nothing else.
{
  description = "Generate one NixOS / nix-darwin module per machine from a clan-style fleet inventory";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;

      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];

      forAllSystems = f: lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});

      # Lets `nix-instantiate` run inside a build sandbox: a private store and state directory.
      nixInSandbox = ''
        export TEST_ROOT="$PWD/nix-test-root"
        export HOME="$TEST_ROOT/home"
        export NIX_BUILD_HOOK=
        export NIX_CONF_DIR="$TEST_ROOT/etc"
        export NIX_LOCALSTATE_DIR="$TEST_ROOT/var"
        export NIX_LOG_DIR="$TEST_ROOT/var/log/nix"
        export NIX_STATE_DIR="$TEST_ROOT/var/nix"
        export NIX_STORE_DIR="$TEST_ROOT/store"
        export PAGER=cat
        mkdir -p "$HOME"
        nix-store --init
      '';
    in
    {
      lib = import ./nix/lib.nix { inherit lib; };

      overlays.default = final: _prev: {
        inventory-gen = final.callPackage ./nix/package.nix { };
      };

      packages = forAllSystems (
        _system: pkgs: rec {
          inventory-gen = pkgs.callPackage ./nix/package.nix { };
          default = inventory-gen;
        }
      );

      apps = forAllSystems (
        system: _pkgs:
        let
          app = {
            type = "app";
            program = lib.getExe self.packages.${system}.inventory-gen;
            meta.description = "Regenerate generated/inventory from the flake's inventory (`check` to verify it)";
          };
        in
        {
          default = app;
          inventory-gen = app;
        }
      );

      flakeModules.default = {
        _file = "${toString ./flake.nix}#flakeModules.default";
        key = "inventory-gen#flakeModules.default";
        imports = [ ./nix/flake-module.nix ];
        # Run the tool built by this flake (with its locked nixpkgs) where it has a package.
        perSystem =
          { lib, system, ... }:
          {
            inventory-gen.package = lib.mkIf (self.packages ? ${system}) (
              lib.mkDefault self.packages.${system}.inventory-gen
            );
          };
      };

      templates = {
        default = {
          path = ./templates/default;
          description = "A fleet with flake-parts and inventory-gen: three machines, tags, a local clan.service";
          welcomeText = ''
            # A fleet managed with inventory-gen

            Next steps (see README.md):

                git init && git add -A
                nix run .#inventory-gen      # writes generated/inventory
                git add generated && nix flake check
          '';
        };
      };

      checks = forAllSystems (
        system: pkgs:
        let
          package = self.packages.${system}.inventory-gen;
        in
        {
          inherit package;

          # The default template as `nix flake init` gives it: the tool generates its files, a
          # second run changes nothing, every generated file parses and the index evaluates.
          template-default =
            pkgs.runCommand "inventory-gen-template-default"
              {
                nativeBuildInputs = [
                  package
                  pkgs.nix
                ];
                template = ./templates/default;
              }
              ''
                ${nixInSandbox}
                cp -r "$template" fleet
                chmod -R u+w fleet
                rm -rf fleet/generated
                inventory-gen generate --flake fleet
                inventory-gen check --diff --flake fleet
                find fleet/generated/inventory -name '*.nix' -print0 | xargs -0 -n1 nix-instantiate --parse > /dev/null
                nix-instantiate --eval --strict --json \
                  -E 'builtins.mapAttrs (_: m: m.class) (import ./fleet/generated/inventory { }).machines'
                echo
                touch "$out"
              '';

          # The tool run on its own templates: their committed generated files are up to date.
          templates-up-to-date =
            pkgs.runCommand "inventory-gen-templates-up-to-date"
              {
                nativeBuildInputs = [ package ];
                templates = ./templates;
              }
              ''
                for template in "$templates"/*/; do
                  echo "inventory-gen check --diff --flake $template"
                  inventory-gen check --diff --flake "$template"
                done
                touch "$out"
              '';
        }
      );

      devShells = forAllSystems (
        system: pkgs: {
          default = pkgs.mkShell {
            inputsFrom = [ self.packages.${system}.inventory-gen ];
            packages = [
              pkgs.clippy
              pkgs.rustfmt
              pkgs.rust-analyzer
              pkgs.nix # nix-instantiate, for the integration tests
              pkgs.nixfmt
              pkgs.pre-commit
            ];
            # The integration tests take nixpkgs' lib from <nixpkgs/lib>.
            shellHook = ''
              export NIX_PATH="nixpkgs=${nixpkgs}''${NIX_PATH:+:$NIX_PATH}"
            '';
          };
        }
      );

      # `nix fmt`: nixfmt for Nix files, rustfmt for Rust; test fixtures and generated files are
      # left as they are.
      formatter = forAllSystems (
        _system: pkgs:
        pkgs.treefmt.withConfig {
          runtimeInputs = [
            pkgs.nixfmt
            pkgs.rustfmt
          ];
          settings = {
            tree-root-file = "flake.nix";
            on-unmatched = "info";
            formatter.nixfmt = {
              command = "nixfmt";
              includes = [ "*.nix" ];
              excludes = [
                "tests/cases/**"
                "templates/*/generated/**"
                "generated/**"
              ];
            };
            formatter.rustfmt = {
              command = "rustfmt";
              options = [
                "--edition"
                "2024"
              ];
              includes = [ "*.rs" ];
            };
          };
        }
      );
    };
}
