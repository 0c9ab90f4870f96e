# A flake written with CR LF line endings: the rewrite keeps them.
{
  outputs = { self, ... }: {
    modules.m = ./services/m.nix;
    inventory = {
      machines.a = { };
      machines.b.tags = [ "t" ];
      modules.m = ./legacy/m;
      services = {
        # The only instance.
        m.x = {
          roles.r.machines = [
            "a" # first
          ];
          roles.s.tags = [ "t" ];
        };
      };
    };
  };
}
