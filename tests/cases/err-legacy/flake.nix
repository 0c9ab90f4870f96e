# Legacy `services` that cannot resolve: a role the module has no file for, a module that is
# not defined, a module directory without roles/, and a tag no machine carries (a warning).
{
  outputs = _: {
    inventory = {
      machines.jon = { };
      modules.backup = ./modules/backup;
      modules.empty = ./modules/empty;
      services = {
        backup.nightly.roles.clinet.machines = [ "jon" ];
        backup.daily = {
          roles.client.tags = [ "nas" ];
          roles.server.machines = [ "jon" ];
        };
        borgbackup.weekly.roles.client.machines = [ "jon" ];
        empty.never.roles.default.machines = [ "jon" ];
      };
    };
  };
}
