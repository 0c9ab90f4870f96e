{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  outputs =
    { clan-core, ... }:
    clan-core.lib.clan {
      imports = [ ./clan.nix ];
      modules.svc = ./svc.nix;
      inventory.machines.jon = { };
    };
}
