{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  outputs =
    { self, clan-core, ... }:
    clan-core.lib.clan (import ./clan.nix { inherit self; });
}
