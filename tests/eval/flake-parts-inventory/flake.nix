{
  description = "flake-parts: inventory at the top of the mkFlake module (a function module)";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    flake-parts.url = "github:hercules-ci/flake-parts";
    inventory-gen.url = "github:example/inventory-gen";
  };

  outputs =
    inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } (
      { lib, ... }:
      {
        systems = [
          "x86_64-linux"
          "aarch64-darwin"
        ];
        inventory = {
          machines.alpha.tags = [ "server" ];
          machines.beta = {
            tags = [ "server" ];
            deploy.buildHost = "builder@example.org";
          };
          instances.monitoring = {
            module.input = "self";
            roles.agent.tags = [ "server" ];
            roles.agent.settings.interval = lib.mkDefault 30;
          };
        };
        perSystem =
          { pkgs, ... }:
          {
            formatter = pkgs.nixfmt;
          };
      }
    );
}
