# Export errors as in clan-core, raised only where exports are read (tests/clan_services.rs):
# `poison`'s export of q fails when its value is read (by `all`, on s), not when q itself is
# evaluated; `liar` exports under another service's scope, which fails when `pick` (on r) reads it.
{
  meta.name = "errors";
  modules = {
    poison = ./services/poison;
    liar = ./services/liar;
    pick = ./services/pick;
    all = ./services/all;
  };
  inventory = {
    machines = {
      p = { };
      q = { };
      r = { };
      s = { };
    };
    instances = {
      poison = {
        module.name = "poison";
        module.input = "self";
        roles.default.machines.p = { };
        roles.default.machines.q = { };
      };
      liar = {
        module.name = "liar";
        module.input = "self";
        roles.default.machines.p = { };
      };
      pick = {
        module.name = "pick";
        module.input = "self";
        roles.default.machines.r = { };
      };
      all = {
        module.name = "all";
        module.input = "self";
        roles.default.machines.s = { };
      };
    };
  };
}
