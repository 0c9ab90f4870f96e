{
  description = "import of a function file applied to arguments (with defaults and an unused argument)";
  outputs =
    { self, nixpkgs, ... }:
    let
      domain = "corp.example";
    in
    {
      inventory = import ./inventory.nix {
        inherit domain;
        machineNames = [
          "a"
          "b"
        ];
        lib = nixpkgs.lib;
        unused = throw "never needed";
      };
    };
}
