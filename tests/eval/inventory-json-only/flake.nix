{
  description = "the Nix side only has meta; machines and instances come from inventory.json";
  outputs =
    { self, clan-core, ... }:
    clan-core.lib.clan {
      inherit self;
      meta.name = "only-json";
    };
}
