{
  description = "lib.clan { imports = [ ./clan.nix ]; } where clan.nix is a plain attrset built from more files";
  outputs =
    { self, clan-core, ... }:
    clan-core.lib.clan {
      inherit self;
      imports = [ ./clan.nix ];
    };
}
