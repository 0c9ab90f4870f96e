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
    machines.sara = { };
    instances.web.roles.server.machines.sara.settings.mode = lib.mkDefault "default-mode";
    instances.web.roles.server.extraModules = [ ../extra/clan-level.nix ];
  };
}
