{
  description = "indented strings: indentation stripping basics";
  outputs = inputs: {
    inventory.instances.strings.roles.r.settings = {
      simple = ''
        line1
          line2 (two more spaces)
        line3
      '';
      no_final_newline = ''
        a
        b'';
      one_line = ''hello'';
      one_line_padded = ''  hello  '';
      empty = '''';
      only_newline = ''
      '';
      first_line_content = ''  first
          second
      '';
      deeper_first_line = ''      first
          second
      '';
      blank_lines = ''

        a

          b

      '';
      closing_less_indented = ''
            deep
      '';
      closing_more_indented = ''
        a
            '';
      closing_on_text_line = ''
        a
        b  '';
      backslashes = ''
        C:\path\n is literal, \t too
      '';
      double_quotes = ''
        "quoted" and 'single'
      '';
      nested_quote_pairs = ''
        a ' b
      '';
      hash = ''
        # not a comment
      '';
    };
  };
}
