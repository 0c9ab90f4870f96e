# A stand-in for borgbackup that records servers, clients and the machine's roles.
{
  _class = "clan.service";
  manifest.name = "borgbackup";
  roles.client.perInstance =
    { instanceName, roles, ... }:
    {
      nixosModule.borg.${instanceName}.servers = builtins.attrNames roles.server.machines;
    };
  roles.server.perInstance =
    { instanceName, roles, ... }:
    {
      nixosModule.borg.${instanceName}.clients = builtins.attrNames roles.client.machines;
    };
  perMachine =
    { machine, instances, ... }:
    {
      nixosModule.borg.summary = {
        inherit (machine) roles;
        instances = builtins.attrNames instances;
      };
    };
}
