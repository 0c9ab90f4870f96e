{
  machines.one.tags = [ "imported" ];
  instances.custom = {
    module = {
      name = "custom";
      input = "self";
    };
    roles.default.tags = [ "imported" ];
  };
}
