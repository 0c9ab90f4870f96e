{
  description = "lib.mkForce / mkDefault / mkOverride N in role, machine and tag settings, kept as written";
  outputs =
    { self, nixpkgs, ... }:
    let
      lib = nixpkgs.lib;
      inherit (nixpkgs.lib) mkForce;
      inherit (lib) mkDefault mkOverride;
    in
    {
      inventory.instances.prio = {
        roles.server.settings = {
          forced = lib.mkForce "forced";
          defaulted = lib.mkDefault 1;
          custom = lib.mkOverride 10 [
            "a"
            "b"
          ];
          custom_high = lib.mkOverride 1500 null;
          inherited_force = mkForce false;
          inherited_default = mkDefault { nested = true; };
          inherited_override = mkOverride 75 0.5;
          from_input = nixpkgs.lib.mkForce "via nixpkgs.lib";
          force_of_set = lib.mkForce {
            inner = lib.mkDefault "inner default";
            plain = 1;
          };
          nested_wrappers = lib.mkDefault (lib.mkForce 3);
          in_list = [
            (lib.mkForce 1)
            2
          ];
          parenthesized = (lib.mkForce "parens");
        };
        roles.server.machines.m.settings = lib.mkForce { whole = "settings forced"; };
        roles.server.tags.t.settings.x = lib.mkOverride 0 "prio 0";
        roles.client.settings = lib.mkDefault { };
      };
    };
}
