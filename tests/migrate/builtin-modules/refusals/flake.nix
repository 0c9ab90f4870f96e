# Legacy instances of clan-core's built-in clanModules that migrate refuses, beside one it
# migrates: modules clan-core's migration guide maps elsewhere (root-password, user-password →
# users; state-version → an option) or lists as removed (iwd, nginx), and instance names that
# would collide once flattened (with an existing instance, with a local legacy instance).
{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";

  outputs =
    { self, clan-core, ... }:
    clan-core.lib.buildClan {
      directory = self;
      inventory = {
        machines = {
          a = { };
          b = { };
        };
        modules.local = ./legacy/local;
        instances.borgbackup-taken = {
          module.name = "borgbackup";
          module.input = "clan-core";
          roles.client.machines.a = { };
        };
        services = {
          root-password.default.roles.default.machines = [ "a" ];
          user-password.alice = {
            roles.default.machines = [ "a" "b" ];
            config.user = "alice";
          };
          state-version.all.roles.default.machines = [ "a" ];
          iwd.wlan.roles.default.machines = [ "b" ];
          nginx.web.roles.default.machines = [ "b" ];
          # Would become instances.borgbackup-taken, which exists.
          borgbackup.taken.roles.server.machines = [ "b" ];
          # These two would both become instances.syncthing-shared.
          syncthing.shared.roles.peer.machines = [ "a" ];
          local.syncthing-shared.roles.default.machines = [ "b" ];
          # Migrated.
          admin.keys = {
            roles.default.machines = [ "a" "b" ];
            roles.default.config.allowedKeys.me = "ssh-ed25519 AAAAC3Nza me@example";
          };
        };
      };
    };
}
