{
  description = "indented strings: tabs, whitespace-only lines, interpolation at line start, trailing spaces";
  outputs = inputs: let
    x = "X";
    multi = "m1\n   m2";
  in {
    inventory.instances.strings.roles.r.settings = {
      # A tab is not indentation: nothing is stripped.
      tab_line = ''
	tab
        spaces
      '';
      tab_after_spaces = ''
        	a
        b
      '';
      # Spaces after the opening quotes are dropped only if the line is otherwise empty.
      spaces_after_open = ''   
        a
      '';
      tab_after_open = ''	
        a
      '';
      # Whitespace-only lines do not count for the indentation, and keep what is beyond it.
      whitespace_only_line_longer = ''
        a
            
        b
      '';
      whitespace_only_line_shorter = ''
        a
    
        b
      '';
      trailing_spaces = ''
        a   
        b 
      '';
      only_whitespace = ''
      
      '';
      interpolation_at_line_start = ''
        ${x}
          y
      '';
      interpolation_less_indented = ''
            a
          ${x} b
      '';
      interpolation_multiline_value = ''
        ${multi}
          c
      '';
      interpolation_only = ''${x}'';
      interpolation_last = ''
        a
        ${x}'';
      interpolation_then_spaces_last_line = ''
        a ${x}
        '';
      text_after_interpolation_on_last_line = ''
        ${x}  '';
      nested_interpolation = ''
        ${"inner ${x} ${''nested ${x}''}"}
      '';
      interpolated_indented_with_newline = ''
          p
        ${''
            q
              r
          ''}
      '';
    };
  };
}
