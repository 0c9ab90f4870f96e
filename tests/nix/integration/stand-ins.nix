# Stand-ins for what the integration tests cannot fetch: a nixpkgs flake whose `lib` is the real
# nixpkgs lib plus a `nixosSystem` that runs `lib.evalModules` over a small freeform base module, a
# nix-darwin flake with the same `darwinSystem`, and package sets whose builders return fake
# derivations that keep their arguments (so tests can look at scripts and metadata).
{ lib }:
let
  # Any option a module sets is accepted; `files` and `extra` collect what tests look for.
  base =
    { lib, ... }:
    {
      freeformType = lib.types.lazyAttrsOf lib.types.anything;
      options.networking.hostName = lib.mkOption { type = lib.types.str; };
      options.files = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        default = [ ];
      };
      options.extra = lib.mkOption {
        type = lib.types.lazyAttrsOf lib.types.anything;
        default = { };
      };
      # As in NixOS: the template's service adds lines to it from several instances.
      options.users.motd = lib.mkOption {
        type = lib.types.nullOr lib.types.lines;
        default = null;
      };
    };

  system =
    class:
    {
      modules,
      specialArgs ? { },
      ...
    }:
    let
      eval = lib.evalModules {
        inherit class specialArgs;
        modules = [ base ] ++ modules;
      };
    in
    {
      inherit class;
      inherit (eval) config options;
      specialArgNames = builtins.attrNames specialArgs;
    };

  fakeDrv =
    flavor: name: attrs:
    attrs
    // {
      type = "derivation";
      inherit name flavor;
      outPath = "/nix/store/00000000000000000000000000000000-${name}";
    };

  mkPkgs =
    flavor:
    let
      pkgs = {
        inherit lib;
        callPackage =
          fn: overrides:
          let
            f = if builtins.isFunction fn then fn else import fn;
          in
          f (builtins.intersectAttrs (builtins.functionArgs f) pkgs // overrides);
        rustPlatform.buildRustPackage =
          args:
          fakeDrv flavor "${args.pname}-${args.version}" {
            inherit (args)
              pname
              version
              meta
              cargoLock
              src
              ;
            buildRustPackageArgs = builtins.attrNames args;
          };
        runCommand =
          name: env: buildCommand:
          fakeDrv flavor name {
            inherit buildCommand;
            envNames = builtins.attrNames env;
            inherit (env) nativeBuildInputs;
          };
        # The script's text is appended to its fake store path, so tests can read it from a
        # program string.
        writeShellScript =
          name: text:
          fakeDrv flavor name { inherit text; }
          // {
            outPath = "/nix/store/00000000000000000000000000000000-${name}#${text}";
          };
        mkShell = args: fakeDrv flavor "shell" { shellArgs = builtins.attrNames args; };
        treefmt.withConfig = args: fakeDrv flavor "treefmt" { inherit (args) settings; };
        nix = fakeDrv flavor "nix" { };
        installShellFiles = fakeDrv flavor "install-shell-files" { };
        stdenv = {
          buildPlatform.canExecute = _: true;
          hostPlatform = { };
        };
        nixfmt = fakeDrv flavor "nixfmt" { };
        rustfmt = fakeDrv flavor "rustfmt" { };
        clippy = fakeDrv flavor "clippy" { };
        rust-analyzer = fakeDrv flavor "rust-analyzer" { };
        pre-commit = fakeDrv flavor "pre-commit" { };
      };
    in
    pkgs;

  systems = [
    "x86_64-linux"
    "aarch64-linux"
    "x86_64-darwin"
    "aarch64-darwin"
  ];
in
{
  inherit base mkPkgs;

  # A nixpkgs flake: `flavor` marks its packages, to tell two stand-ins apart.
  mkNixpkgs = flavor: {
    _type = "flake";
    lib = lib // {
      nixosSystem = system "nixos";
    };
    legacyPackages = lib.genAttrs systems (_: mkPkgs flavor);
    outPath = "/nix/store/00000000000000000000000000000000-nixpkgs-${flavor}";
  };

  nix-darwin = {
    _type = "flake";
    lib.darwinSystem = system "darwin";
  };
}
