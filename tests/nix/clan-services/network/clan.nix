# A fleet of clan-core's own services (ten of them), compared machine by machine with clan-core's
# evaluation by tests/clan_services.rs: wireguard with a darwin peer, zerotier with controller,
# moon and peers, yggdrasil taking peers from the exports of wireguard, internet and mycelium,
# borgbackup by tag, users, sshd, admin and emergency-access.
{
  meta.name = "network";
  inventory = {
    machines = {
      alpha.tags = [ "server" ];
      beta.tags = [ "server" ];
      gamma.tags = [ "laptop" "backup" ];
      delta.tags = [ "laptop" "backup" ];
      mac = {
        machineClass = "darwin";
        tags = [ "laptop" ];
      };
    };
    instances = {
      wireguard = {
        module = {
          name = "wireguard";
          input = "clan-core";
        };
        roles.controller.machines.alpha.settings.endpoint = "alpha.example.com";
        roles.peer.machines.gamma.settings.controller = "alpha";
        roles.peer.machines.mac.settings.controller = "alpha";
        roles.peer.machines.delta.settings.controller = "alpha";
      };
      zerotier = {
        module = {
          name = "zerotier";
          input = "clan-core";
        };
        roles.controller.machines.alpha = { };
        roles.moon.machines.beta.settings.stableEndpoints = [ "2001:db8::2" ];
        roles.peer.tags.laptop = { };
        roles.peer.machines.beta = { };
      };
      internet = {
        module = {
          name = "internet";
          input = "clan-core";
        };
        roles.default.machines.alpha.settings.host = "alpha.example.com";
        roles.default.machines.beta.settings.host = "2001:db8::2";
      };
      mycelium = {
        module = {
          name = "mycelium";
          input = "clan-core";
        };
        roles.peer.tags.server = { };
        roles.peer.machines.gamma = { };
      };
      yggdrasil = {
        module = {
          name = "yggdrasil";
          input = "clan-core";
        };
        roles.default.tags.nixos = { };
      };
      borg = {
        module = {
          name = "borgbackup";
          input = "clan-core";
        };
        roles.server.machines.beta = { };
        roles.client.tags.backup = { };
      };
      root = {
        module = {
          name = "users";
          input = "clan-core";
        };
        roles.default.tags.nixos.settings = {
          user = "root";
          prompt = false;
        };
      };
      sshd = {
        module = {
          name = "sshd";
          input = "clan-core";
        };
        roles.server.tags.nixos = { };
        roles.client.tags.all = { };
      };
      admin = {
        module = {
          name = "admin";
          input = "clan-core";
        };
        roles.default.tags.server.settings.allowedKeys.ops = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOps ops@example.com";
      };
      emergency = {
        module = {
          name = "emergency-access";
          input = "clan-core";
        };
        roles.default.tags.nixos = { };
      };
    };
  };
}
