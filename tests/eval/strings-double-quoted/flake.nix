{
  description = "double-quoted strings: every escape, dollar forms, literal newlines";
  outputs = inputs: {
    inventory.instances.strings.roles.r.settings = {
      newline = "a\nb";
      tab = "a\tb";
      cr = "a\rb";
      backslash = "a\\b";
      quote = "a\"b";
      dollar_escaped = "\$";
      interpolation_escaped = "\${not interpolated}";
      dollar_dollar_brace = "$${not interpolated either}";
      dollar_dollar = "$$";
      lone_dollar = "cost: $5";
      dollar_at_end = "end$";
      dollar_before_quote = "a$";
      brace_alone = "{ } ${"{"}";
      # Unknown escapes give the character itself; there is no \u escape in Nix.
      unknown_escapes = "\q\a\ \'\u00e9\x41\0";
      literal_newlines = "line one
  line two (indentation is kept)
";
      empty = "";
      only_escapes = "\n\t\r\\\"\$";
      single_quotes = "it's ''not'' an indented string";
      hash = "# not a comment";
      comment_like = "/* not a comment */";
      backslash_at_end = "ends with \\";
      backslash_newline = "a\
b";
    };
  };
}
