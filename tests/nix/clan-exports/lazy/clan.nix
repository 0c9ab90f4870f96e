# Exports are evaluated only when read, and only for services that export: `reader` (on a) reads
# every export, which are `beacon`'s (a, b, c); `grumpy` declares no exports and fails for b, so a
# evaluates only if grumpy is never run for b (tests/clan_services.rs).
{
  meta.name = "lazy";
  modules = {
    beacon = ./services/beacon;
    reader = ./services/reader;
    grumpy = ./services/grumpy;
  };
  inventory = {
    machines = {
      a = { };
      b = { };
      c = { };
    };
    instances = {
      beacon = {
        module.name = "beacon";
        module.input = "self";
        roles.default.tags.all = { };
      };
      reader = {
        module.name = "reader";
        module.input = "self";
        roles.default.machines.a = { };
      };
      grumpy = {
        module.name = "grumpy";
        module.input = "self";
        roles.default.machines.a = { };
        roles.default.machines.b = { };
      };
    };
  };
}
