{
  description = "builtins.fromJSON of inline strings (double-quoted and indented), mixed with Nix";
  outputs =
    { self, ... }:
    let
      machines = builtins.fromJSON ''
        {
          "m1": { "tags": ["from-indented-string"] },
          "m2": { "tags": ["x"], "deploy": { "targetHost": "root@m2" } }
        }
      '';
    in
    {
      inventory = {
        inherit machines;
        instances = builtins.fromJSON "{\"i\": {\"roles\": {\"r\": {\"machines\": {\"m1\": {}}, \"settings\": {\"s\": \"\\u00e9\\n\"}}}}}";
        meta = builtins.fromJSON (builtins.readFile ./meta.json);
      };
    };
}
