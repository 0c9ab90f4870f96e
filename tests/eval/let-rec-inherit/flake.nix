{
  description = "let (recursive, nested, shadowing), rec attrsets, inherit and inherit (x)";
  outputs =
    inputs:
    let
      # let bindings may refer to later ones.
      fqdn = "${host}.${domain}";
      host = "db";
      domain = "example.net";
      common = {
        tags = [ "common" ];
        machineClass = "nixos";
        deploy = {
          targetHost = "root@${fqdn}";
        };
      };
      ports = {
        http = 80;
        https = 443;
        ssh = 22;
      };
      inherit (ports) ssh;
    in
    {
      inventory =
        let
          # Shadows the outer binding.
          host = "inner";
          settings = rec {
            port = ports.https;
            url = "https://${name}:${portStr}";
            name = fqdn;
            portStr = "443";
            inherit ssh;
            nested = rec {
              a = "A";
              b = "${a}B";
              c = let a = "shadowed"; in "${a}${b}";
            };
          };
        in
        {
          machines.${host} = {
            inherit (common) tags machineClass;
          };
          machines.other = common;
          machines.deep.deploy = {
            inherit (common.deploy) targetHost;
          };
          instances.web = {
            roles.server = {
              inherit settings;
              machines.inner = { };
            };
            roles.client.settings = {
              inherit (ports) http https;
              inherit host domain;
            };
          };
          instances.rec-set = rec {
            module.name = roles.r.settings.serviceName;
            roles.r.settings = rec {
              serviceName = "from-rec";
              self = serviceName;
            };
          };
        };
    };
}
