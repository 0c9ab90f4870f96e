# The seed documents' examples in today's `instances` API: a zerotier-style VPN with a
# controller and peers (role and machine settings), backups by tag, one machine holding
# different roles in two instances, and a module taken from a flake input.
{
  inputs.libstd.url = "github:libfoo/libfoo";
  outputs = inputs: {
    modules.zerotier = ./services/zerotier.nix;
    modules.borgbackup = ./services/borgbackup.nix;
    inventory = {
      meta.name = "seeds";
      machines = {
        my-machine-name = { };
        some-server-name = { };
        jon.tags = [ "backup" ];
        sara.tags = [ "backup" ];
        backup_server = { };
        backup_backup_server = { };
      };
      instances = {
        "my-vpn" = {
          module.name = "zerotier";
          roles.peer.machines = {
            "my-machine-name" = { };
          };
          roles.peer.settings = {
            ipRanges = [ "all" ];
          };
          roles.controller.machines = {
            "some-server-name" = {
              settings = {
                dynamicIp.enable = true;
              };
            };
          };
        };
        instance_1 = {
          module.name = "borgbackup";
          roles.client.tags = [ "backup" ];
          roles.server.machines.backup_server = { };
        };
        instance_2 = {
          module.name = "borgbackup";
          roles.client.machines.backup_server = { };
          roles.server.machines.backup_backup_server = { };
        };
        "my-foo" = {
          module.input = "libstd";
          module.name = "mod-A";
          roles.default.machines.jon = { };
        };
      };
    };
  };
}
