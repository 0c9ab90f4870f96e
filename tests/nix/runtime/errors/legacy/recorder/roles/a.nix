{
  imports = [ ../shared.nix ];
  recorder.roles.a = true;
}
