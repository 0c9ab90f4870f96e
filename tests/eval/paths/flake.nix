{
  description = "path literals print as absolute paths (normalised), also from imported files";
  outputs = inputs: {
    inventory = {
      instances.paths = {
        roles.server.extraModules = [
          ./extra.nix
          ./modules/sub/deep.nix
          # Nix normalises `.` and `..` in path literals.
          ./modules/../extra.nix
          ./modules/./sub/deep.nix
          ./modules/sub/../../extra.nix
        ];
        roles.server.settings = {
          keyFile = ./files/key.pub;
          directory = ./files;
          flakeRoot = ./.;
          trailing = ./modules/sub/.;
          # Paths need not exist to be printed.
          missing = ./does-not-exist.nix;
          inList = [ ./files/key.pub ];
        };
        roles.client = import ./modules/role.nix;
      };
    };
  };
}
