# A stand-in for zerotier that records what each machine receives.
{
  _class = "clan.service";
  manifest.name = "zerotier";
  roles.peer.interface =
    { lib, ... }:
    {
      options.ipRanges = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        default = [ ];
      };
    };
  roles.peer.perInstance =
    { instanceName, settings, roles, ... }:
    {
      nixosModule.zerotier.${instanceName}.peer = {
        inherit (settings) ipRanges;
        controllers = builtins.attrNames roles.controller.machines;
      };
    };
  roles.controller.interface =
    { lib, ... }:
    {
      options.dynamicIp.enable = lib.mkOption {
        type = lib.types.bool;
        default = false;
      };
    };
  roles.controller.perInstance =
    { instanceName, settings, roles, ... }:
    {
      nixosModule.zerotier.${instanceName}.controller = {
        inherit (settings) dynamicIp;
        peers = builtins.attrNames roles.peer.machines;
      };
    };
}
