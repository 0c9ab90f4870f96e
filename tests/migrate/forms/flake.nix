# `inventory-gen migrate` on the written forms of legacy services: an attribute set holding
# several modules' instances, a module's own attribute set, dotted bindings, comments
# everywhere, config at every level, string and path extraModules, a file in a subdirectory.
{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.flake-parts.url = "github:hercules-ci/flake-parts";
  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  outputs =
    inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [ "x86_64-linux" ];
      imports = [ inputs.clan-core.flakeModules.default ];
      clan.imports = [ ./nix/clan.nix ];
    };
}
