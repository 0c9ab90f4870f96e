{
  instances.backup = {
    module.name = "borgbackup";
    roles.client.tags.all = { };
  };
}
