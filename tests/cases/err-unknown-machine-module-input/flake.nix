{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.libstd.url = "github:libfoo/libfoo";
  outputs = inputs: {
    modules.mesh = ./mesh.nix;
    inventory = {
      machines.jon = { };
      machines.sara = { };
      instances.vpn = {
        module.name = "mesh";
        module.input = "self";
        roles.peer.machines.sarah = { };
      };
      instances.foo = {
        module.name = "mod-A";
        module.input = "libsdt";
      };
      instances.backup = {
        module.name = "borgbackup";
      };
    };
  };
}
