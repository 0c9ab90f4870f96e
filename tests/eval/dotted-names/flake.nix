{
  description = "dotted attribute paths merged by the parser, quoted and interpolated names";
  outputs = inputs: {
    inventory.machines.a.tags = [ "x" ];
    inventory.machines.a.deploy.targetHost = "root@a";
    inventory.machines.b = { };
    inventory = {
      instances.i.roles.r.settings.a = 1;
      instances.i.roles.r.settings.b = 2;
      instances.i.roles.r.settings.c.d.e = 3;
      # A later attrset literal merges into the set the dotted paths made (no key may repeat).
      instances.i.roles.r = {
        machines.a.settings.only = "a";
        extraModules = [ ];
      };
      # A dotted path descends into a set written as a literal before it.
      instances.k = {
        roles.r.machines = { };
      };
      instances.k.roles.r.settings.deep.er = true;
      # Two literals for the same name merge shallowly.
      instances.l = {
        module.name = "l";
      };
      instances.l = {
        roles = { };
      };
      # An interpolated string literal is a static name and merges like one.
      instances.${"m"}.roles.a = { };
      instances.m.roles.b = { };
      instances.i.module = {
        name = "svc";
      };
      instances.i.module.input = "self";
      instances."quoted.name".roles."r.1".machines."a" = { };
      instances."with space"."roles" = { };
      instances.${"interp"}.roles = {
        "${"x"}" = { };
        "pre${"-"}post".settings."key.with.dots" = "v";
        "".settings = { };
      };
      instances.j.roles.r.settings = {
        "a.b" = "one key with a dot";
        a.b = "nested";
        "" = "empty name";
        "123" = "digits";
        "-dash" = "dash";
        "'quote" = "quote";
        "\"dq\"" = "escaped quotes in the name";
        "\${literal}" = "escaped interpolation in the name";
        "tab\tnewline\n" = "escapes in the name";
      };
    };
  };
}
