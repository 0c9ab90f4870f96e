# Legacy instances that `inventory-gen migrate` must refuse, each for one reason, beside one it
# migrates (`ok`) and one from inventory.json. Refused instances stay exactly as written.
{
  outputs =
    { self, ... }:
    let
      shared = {
        roles.x.machines = [ "m1" ];
      };
    in
    {
      modules.a = ./services/a.nix;
      inventory = {
        machines = {
          m1 = { };
          m2 = { };
          m3.tags = [ "t" ];
        };
        modules.a = ./legacy/a;
        modules.b = ./legacy/b;
        instances.taken = {
          module.name = "a";
          module.input = "self";
          roles.x.machines.m3 = { };
        };
        services = {
          # Migrates.
          a.ok.roles.x.machines = [ "m1" ];
          # Disabled: instances have no such switch.
          a.off = {
            enabled = false;
            roles.x.machines = [ "m1" ];
          };
          # meta has no equivalent.
          a.labelled = {
            meta.description = "labelled";
            roles.x.machines = [ "m1" ];
          };
          # The clan.service module a has no role z.
          a.zed.roles.z.machines = [ "m1" ];
          # No clan.service module b.
          b.nomodule.roles.r.machines = [ "m1" ];
          # m2 holds x and y; config reaches it through x.
          a.both = {
            roles.x.machines = [ "m2" ];
            roles.y.machines = [ "m2" ];
            roles.x.config.k = 1;
          };
          # Instance config and role config would both be roles.x.settings.
          a.layers = {
            config.k = 1;
            roles.x.config.j = 2;
            roles.x.machines = [ "m1" ];
          };
          # No per-machine extraModules in instances.
          a.permachine = {
            roles.x.tags = [ "t" ];
            machines.m3.extraModules = [ ./extra.nix ];
          };
          # instances.taken exists.
          a.taken.roles.x.machines = [ "m2" ];
          # The same instance name under two modules.
          a.twice.roles.x.machines = [ "m1" ];
          b.twice.roles.r.machines = [ "m2" ];
          # m2 is no member, so its config did nothing.
          a.nomember = {
            roles.x.machines = [ "m1" ];
            machines.m2.config.k = 1;
          };
          # A settings module would read `imports` as a module keyword.
          a.keyword = {
            roles.x.machines = [ "m1" ];
            roles.x.config.imports = [ ];
          };
          # Written through a variable.
          a.shared = shared;
        };
      };
    };
}
