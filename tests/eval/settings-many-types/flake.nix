{
  description = "settings holding every kind of value";
  outputs = inputs: {
    inventory.instances.types.roles.r.settings = {
      string = "s";
      empty_string = "";
      int = 42;
      negative = -7;
      float = 2.5;
      bool_true = true;
      bool_false = false;
      null_value = null;
      empty_list = [ ];
      empty_set = { };
      list_of_mixed = [
        1
        "two"
        3.0
        true
        null
        [ ]
        { }
        [
          "nested"
          [ 1 ]
        ]
        { k = "v"; }
      ];
      set_of_mixed = {
        a = 1;
        b = [ ];
        c = {
          d = null;
        };
      };
      list_of_sets = [
        {
          name = "a";
          port = 1;
        }
        {
          name = "b";
          port = 2;
        }
      ];
      path = ./files/data.txt;
      multiline = ''
        [section]
        key = value
      '';
      users.alice = {
        uid = 1000;
        groups = [ "wheel" ];
        shell = null;
        keys = [ ];
      };
    };
    inventory.instances.types.roles.r.machines.m.settings = {
      port = 8080;
      enable = true;
    };
    inventory.instances.types.roles.r.tags.all.settings = {
      weight = 0.25;
    };
  };
}
