{
  imports = [ ../shared.nix ];
  recorder.roles.b = true;
}
