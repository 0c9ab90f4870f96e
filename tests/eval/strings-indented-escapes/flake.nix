{
  description = "indented strings: escapes and dollars";
  outputs = inputs: let x = "X"; in {
    inventory.instances.strings.roles.r.settings = {
      escaped_interpolation = ''
        ''${x} stays literal
      '';
      escaped_quotes = ''
        two quotes: ''' end
      '';
      escaped_dollar = ''
        ''$x and ''$
      '';
      escape_newline = ''
        a''\nb
      '';
      escape_tab = ''
        a''\tb
      '';
      escape_cr = ''
        a''\rb
      '';
      escape_backslash = ''
        a''\\b
      '';
      escape_other = ''
        a''\qb''\ c
      '';
      dollar_dollar = ''
        $$ and $${x} and $$${x}
      '';
      lone_dollar = ''
        cost: $5, end $'';
      dollar_before_close = ''
        a $'';
      interpolation = ''
        before ${x} after
      '';
      # Quirk: an escaped newline starts a new line for the stripping pass,
      # so the spaces after it are stripped (up to the indentation).
      escaped_newline_then_spaces = ''
        a''\n   b
        c
      '';
      escaped_newline_then_deeper = ''
        a''\n            b
        c
      '';
      # The escape does not count as a line start when the indentation is measured.
      escaped_newline_not_measured = ''
          a''\n b
          c
      '';
      # An escape at the start of a line ends its indentation like text does.
      escape_at_line_start = ''
          a
        ''\tb
      '';
      escaped_space_at_line_start = ''
          a
        ''\ b
      '';
      escaped_newline_then_escaped_space = ''
        a''\n''\ b
      '';
      dollar_at_line_start = ''
          a
        $'';
      escaped_dollar_at_line_start = ''
          a
        ''$b
      '';
    };
  };
}
