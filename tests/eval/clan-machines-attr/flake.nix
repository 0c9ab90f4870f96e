{
  description = "machines.<name> of the clan config registers <name>; its value is a NixOS module, never read";
  outputs =
    { self, clan-core, ... }:
    clan-core.lib.clan {
      inherit self;
      machines = {
        jon =
          { config, pkgs, ... }:
          {
            environment.systemPackages = [ pkgs.hello ];
            services.openssh.enable = config.networking.hostName == "jon";
          };
        sara = import ./sara-configuration.nix;
        "with-dash" = { };
      };
      inventory.machines.jon.tags = [ "desktop" ];
    };
}
