{
  outputs = inputs: {
    inventory = {
      machines.jon.tags = "web";
      instances.vpn.roles.peer.machines = [ "jon" ];
      instances.vpn.roles.peer.settings = "fast";
      instanecs = { };
    };
  };
}
