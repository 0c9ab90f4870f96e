{
  description = "the // operator: right side wins, shallow (nested sets are replaced, not merged)";
  outputs =
    inputs:
    let
      base = {
        tags = [ "base" ];
        deploy = {
          targetHost = "root@base";
          buildHost = "builder";
        };
        description = "base";
      };
      override = {
        deploy.targetHost = "root@override";
        description = "override";
      };
      defaults = {
        a = 1;
        b = 2;
      };
    in
    {
      inventory = {
        machines = {
          shallow = base // override;
          reversed = override // base;
          chained = base // { tags = [ "x" ]; } // { tags = [ "y" ]; } // { };
          empty_left = { } // base;
          parenthesized = base // (override // { description = "inner"; });
          with_import = import ./extra.nix // { description = "right of an import"; };
        };
        instances = {
          i = {
            roles.r.settings = defaults // { b = 20; c = 30; };
          };
        } // {
          j.roles.r.settings = defaults;
        };
      };
    };
}
