{
  outputs = _: {
    inventory = {
      machines.ann.installedAt = 99999999999999999999;
      meta.name = 9223372036854775807 + 1;
      instances.a.roles.r.settings.f = 1.0e400;
      tags.t = [ (1.0e308 * 10.0) ];
    };
  };
}
