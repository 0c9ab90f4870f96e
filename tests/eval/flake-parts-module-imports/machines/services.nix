{
  clan.inventory.instances.postgres = {
    module.input = "self";
    roles.primary.machines.db = { };
    roles.replica.tags = [ "storage" ];
  };
}
