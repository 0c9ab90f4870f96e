{
  description = "flake-parts: clan.imports = [ ./clan.nix ], clan.nix is a { lib, ... }: module";

  inputs = {
    flake-parts.url = "github:hercules-ci/flake-parts";
    clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  };

  outputs =
    inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      imports = [ inputs.clan-core.flakeModules.default ];
      systems = [ "x86_64-linux" ];
      clan.imports = [ ./clan.nix ];
      clan.meta.name = "fp-imports";
    };
}
