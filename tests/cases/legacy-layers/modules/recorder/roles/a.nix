# Role a of the legacy recorder module: records that it was imported.
{
  imports = [ ../shared.nix ];
  recorder.roles.a = true;
}
