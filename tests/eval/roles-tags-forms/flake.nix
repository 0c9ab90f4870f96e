{
  description = "roles.<R>.tags as a list and as an attrset (with tag settings); printed as written";
  outputs = inputs: {
    inventory = {
      machines.a.tags = [ "web" "db" ];
      machines.b.tags = [ "web" ];
      instances.list-form = {
        roles.server.tags = [
          "web"
          "db"
        ];
        roles.client.tags = [ ];
      };
      instances.attrset-form = {
        roles.server.tags = {
          web = { };
          db.settings.replicas = 2;
        };
        roles.client.tags.all = { };
        roles.empty.tags = { };
      };
      instances.both = {
        roles.one.tags = [ "web" ];
        roles.two.tags.web.settings = {
          x = 1;
        };
        roles.two.machines.a.settings.y = 2;
      };
    };
  };
}
