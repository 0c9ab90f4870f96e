{
  _class = "clan.service";
  manifest.name = "E";
  roles.peer.perInstance =
    { instanceName, roles, ... }:
    {
      nixosModule.peers.${instanceName} = builtins.attrNames roles.peer.machines;
    };
}
