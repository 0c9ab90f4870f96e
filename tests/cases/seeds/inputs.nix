# Stand-ins for this fixture's flake inputs, passed as `import ./generated/inventory { inherit inputs; }`.
{
  libstd.clan.modules."mod-A" = ./fake-libstd/mod-a.nix;
}
