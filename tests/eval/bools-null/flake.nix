{
  description = "true, false and null as values, in lists, and as attribute names";
  outputs = inputs: {
    inventory = {
      machines.m.deploy = {
        forwardAgent = true;
        targetHost = null;
        buildHost = null;
      };
      machines.m.description = null;
      instances.flags.roles.r.settings = {
        enable = true;
        disable = false;
        nothing = null;
        list = [
          true
          false
          null
          true
        ];
        # true, false and null are ordinary identifiers: they are valid attribute names.
        true = "key named true";
        false = false;
        null = null;
        "True" = { };
        nested.null.true = false;
      };
    };
  };
}
