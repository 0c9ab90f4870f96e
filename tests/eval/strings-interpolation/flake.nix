{
  description = "interpolation of known strings, in values and attribute names";
  outputs =
    inputs:
    let
      domain = "example.org";
      user = "root";
      host = "web";
      target = "${user}@${host}.${domain}";
      nested = "<${"a${"b${"c"}"}"}>";
      names = {
        first = "alpha";
        second = "beta";
      };
      empty = "";
      multi = ''
        one
        two
      '';
    in
    {
      inventory = {
        machines.${host}.deploy.targetHost = target;
        machines."${host}-2".deploy.targetHost = "${user}@${host}-2.${domain}";
        machines.${names.first} = { };
        machines."${names.second}" = { };
        machines."pre-${names.first}-post".description = "${empty}${empty}";
        instances."svc-${host}" = {
          module.name = "${host}";
          roles.${"r"}.settings = {
            inherit nested;
            from_attr = "${names.first}/${names.second}";
            adjacent = "${user}${user}";
            in_indented = ''
              host: ${host}
              target: ${target}
            '';
            multi_in_double = "[${multi}]";
            dollar_then_interp = "$${user}-$${user}";
            dollar_dollar_interp = "$$${user}";
            escaped_then_interp = "\${user}${user}";
            brace_text = "}${user}{";
          };
        };
      };
    };
}
