# Records every argument that perInstance, perMachine and the service module itself receive.
{
  lib,
  name,
  specialArgs,
  directory,
  ...
}:
{
  _class = "clan.service";
  manifest.name = "network";
  roles.controller = { };
  roles.peer.interface =
    { lib, ... }:
    {
      options.timeout = lib.mkOption { type = lib.types.str; };
    };
  roles.peer.perInstance =
    {
      instanceName,
      settings,
      extendSettings,
      machine,
      roles,
      meta,
      exports,
      mkExports,
      ...
    }:
    {
      nixosModule.recorded.perInstance.${instanceName}.peer = {
        inherit
          instanceName
          settings
          machine
          roles
          meta
          exports
          ;
        vendoredSettings = extendSettings { timeout = lib.mkOverride 10 "config.thing"; };
        exported = mkExports { x = 1; };
      };
    };
  roles.server.interface =
    { lib, ... }:
    {
      options.port = lib.mkOption {
        type = lib.types.int;
        default = 1;
      };
    };
  roles.server.perInstance =
    {
      instanceName,
      machine,
      settings,
      ...
    }:
    {
      nixosModule.recorded.perInstance.${instanceName}.server = { inherit machine settings; };
    };
  perMachine =
    {
      machine,
      instances,
      meta,
      exports,
      mkExports,
      settings,
      ...
    }:
    {
      nixosModule.recorded.perMachine = {
        inherit
          machine
          instances
          meta
          exports
          ;
        exported = mkExports { y = 2; };
        settingsThrows = !(builtins.tryEval (builtins.seq settings true)).success;
        service = {
          inherit name;
          specialArgs = lib.attrNames specialArgs;
          directoryIsCaseRoot = directory == ../..;
        };
      };
    };
}
