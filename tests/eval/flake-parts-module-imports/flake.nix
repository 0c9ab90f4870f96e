{
  description = "flake-parts: the clan config lives in machines/flake-module.nix, listed in imports";

  inputs = {
    flake-parts.url = "github:hercules-ci/flake-parts";
    clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  };

  outputs =
    inputs@{ flake-parts, clan-core, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [ "x86_64-linux" ];
      imports = [
        # Not a local path: skipped by the reader, a no-op stand-in in the oracle.
        clan-core.flakeModules.default
        ./machines/flake-module.nix
      ];
    };
}
