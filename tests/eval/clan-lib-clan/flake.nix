{
  description = "clan-core.lib.clan called directly as the outputs, with meta beside inventory";

  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  inputs.nixpkgs.follows = "clan-core/nixpkgs";

  outputs =
    inputs:
    inputs.clan-core.lib.clan {
      inherit (inputs) self;
      # `meta` of the clan config is `inventory.meta`: both definitions merge.
      meta = {
        name = "lib-clan";
        domain = "example";
      };
      inventory.meta.description = "merged from inventory.meta";
      inventory.machines.jon = { };
      inventory.instances.admin = {
        roles.default.tags = [ "all" ];
        roles.default.settings.allowedKeys.alice = "ssh-ed25519 AAAA alice";
      };
      specialArgs = { inherit inputs; };
    };
}
