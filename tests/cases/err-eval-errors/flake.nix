{
  outputs = _: {
    inventory = let
      x = { a = 1; };
    in {
      machines.jon.description = x.b;
      meta.name = 1 + "a";
      tags.t = [ (1 / 0) ];
      instances.a.roles.r.settings.u = undefinedVariable;
    };
  };
}
