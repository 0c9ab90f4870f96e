{
  meta = builtins.fromJSON (builtins.readFile ./meta.json);
  inventory = import ./inventory.nix;
  modules.custom = ./services/custom;
}
