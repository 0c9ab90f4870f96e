# A small clan.service module: each instance adds its message to the login message (`users.motd`)
# of its members. Registered in flake.nix as `modules.motd = ./services/motd;`.
{ ... }:
{
  _class = "clan.service";
  manifest.name = "motd";
  manifest.description = "A line in the login message";
  manifest.readme = "Adds the instance's message (and any extra lines) to each member's login message.";

  roles.default = {
    description = "Shows the instance's message at login.";
    interface =
      { lib, ... }:
      {
        options.message = lib.mkOption {
          type = lib.types.str;
          description = "The message.";
        };
        options.extraLines = lib.mkOption {
          type = lib.types.listOf lib.types.str;
          default = [ ];
          description = "More lines, e.g. set for one machine only.";
        };
      };
    perInstance =
      { instanceName, settings, ... }:
      {
        nixosModule =
          { lib, ... }:
          {
            # `users.motd` is of type `lines`: every instance adds its own lines.
            users.motd = lib.concatStringsSep "\n" ([ "[${instanceName}] ${settings.message}" ] ++ settings.extraLines);
          };
      };
  };
}
