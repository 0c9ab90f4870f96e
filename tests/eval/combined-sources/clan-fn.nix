# A function file applied in flake.nix; the result is a clan module.
{ owner }:
{
  meta.description = "owned by ${owner}";
  inventory.instances.admin.roles.default = {
    tags = [ "all" ];
    settings.owner = owner;
  };
}
