# A clan module that is a function of lib and imports another one.
{ lib, ... }:
{
  imports = [ ./services.nix ];
  meta.name = "nested";
  inventory = {
    machines.jon = {
      tags = [ "from-clan-nix" ];
      description = "Jon";
    };
    machines.sara.tags = lib.mkDefault [ "mkdefault-list" ];
    instances.web.roles.server.extraModules = [ ../extra/clan-level.nix ];
  };
}
