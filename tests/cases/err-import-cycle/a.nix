# a.nix and b.nix import each other
import ./b.nix
