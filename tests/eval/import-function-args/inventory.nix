{
  domain,
  machineNames,
  lib,
  sshPort ? 22,
  owner ? "ops",
  ...
}:
let
  suffix = ".${domain}";
in
{
  meta = {
    name = "fn-args";
    inherit domain;
  };
  machines.a.deploy.targetHost = "root@a${suffix}";
  machines.b.deploy.targetHost = "b${suffix}";
  instances.sshd.roles.server = {
    tags = { all = { }; };
    settings = {
      port = sshPort;
      inherit owner;
      hosts = machineNames;
      hardened = lib.mkForce true;
    };
  };
}
