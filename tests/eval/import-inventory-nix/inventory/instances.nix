{
  base.roles.default.tags = [ "imported" ];
}
