{
  # Nothing here may run: the reader never evaluates what it cannot know.
  outputs = _: {
    inventory = {
      machines.jon.description = builtins.exec [ "touch" "pwned" ];
      meta.name = builtins.getEnv "HOME";
      instances = import (builtins.fetchurl "https://example.org/instances.nix");
      tags = (derivation { name = "x"; builder = "/bin/sh"; system = "x"; }).outPath;
      modules = builtins.readFile (builtins.toFile "x" "y");
    };
  };
}
