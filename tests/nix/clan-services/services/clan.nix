# A second fleet of clan-core's own services, compared machine by machine with clan-core's
# evaluation by tests/clan_services.rs: tor and p2p-ssh-iroh (their servers export hosts), pki
# (reads the exports with clanLib.selectExports), syncthing, localbackup, trusted-nix-caches,
# packages, hello-world, certificates and ncps, with settings at role, tag and machine level.
{
  meta.name = "services";
  meta.domain = "fleet";
  inventory = {
    machines = {
      hub.tags = [ "server" ];
      edge.tags = [ "server" ];
      desk.tags = [ "desktop" ];
    };
    instances = {
      tor = {
        module = {
          name = "tor";
          input = "clan-core";
        };
        roles.server.tags.server = { };
        roles.client.machines.desk = { };
      };
      iroh = {
        module = {
          name = "p2p-ssh-iroh";
          input = "clan-core";
        };
        roles.server.tags.server = { };
      };
      pki = {
        module = {
          name = "pki";
          input = "clan-core";
        };
        roles.default.tags.server = { };
      };
      syncthing = {
        module = {
          name = "syncthing";
          input = "clan-core";
        };
        roles.peer.machines.hub = { };
        roles.peer.machines.desk = { };
      };
      localbackup = {
        module = {
          name = "localbackup";
          input = "clan-core";
        };
        roles.default.machines.desk = { };
      };
      caches = {
        module = {
          name = "trusted-nix-caches";
          input = "clan-core";
        };
        roles.default.tags.all = { };
      };
      packages = {
        module = {
          name = "packages";
          input = "clan-core";
        };
        roles.default.tags.desktop.settings.packages = [ "htop" "git" ];
      };
      hello = {
        module = {
          name = "hello-world";
          input = "clan-core";
        };
        roles.morning.machines.hub.settings.greeting = "Good morning";
        roles.evening.tags.desktop = { };
      };
      certificates = {
        module = {
          name = "certificates";
          input = "clan-core";
        };
        roles.ca.machines.hub = { };
        roles.default.tags.all = { };
      };
      ncps = {
        module = {
          name = "ncps";
          input = "clan-core";
        };
        roles.server.machines.edge = { };
        roles.client.tags.desktop = { };
      };
    };
  };
}
