{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  outputs =
    { clan-core, ... }:
    clan-core.lib.clan {
      modules = [ ./svc.nix ];
      imports = ./clan.nix;
      inventory.machines.jon = { };
    };
}
