{
  outputs =
    { self, ... }:
    {
      # The inventory as a module function: its `lib` is nixpkgs' lib, which the island takes
      # from the flake's nixpkgs input, or from <nixpkgs/lib> when the flake has none.
      inventory =
        { lib, ... }:
        {
          meta.name = lib.toLower "ISLANDS";
          machines.web1.tags = lib.splitString "," "web,edge";
        };
    };
}
