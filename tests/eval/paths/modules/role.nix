# Relative paths in an imported file are relative to that file.
{
  extraModules = [ ./sub/deep.nix ../extra.nix ];
  settings.here = ./.;
}
