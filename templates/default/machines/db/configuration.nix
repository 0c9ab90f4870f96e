# The database server's own configuration (imported automatically because it is
# machines/db/configuration.nix).
{ ... }:
{
  services.postgresql.enable = true;
}
