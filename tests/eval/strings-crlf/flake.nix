{
  description = "a flake.nix with CRLF line endings (and a lone CR in a string)";
  outputs = inputs: {
    inventory.machines.crlf = {
      description = "double-quoted string spanning
a CRLF line break";
      tags = [ "a" "b" ];
    };
    inventory.instances.crlf.roles.r.settings = {
      indented = ''
        line1
          line2
      '';
      indented_one_line = ''  x  '';
      lone_cr = "ab";
      lone_cr_indented = ''
        ab
      '';
      escaped = "a\r\nb";
    };
  };
}
