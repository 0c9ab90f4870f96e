# A comment before everything
/* and a block comment */ {
  description = "comments of both kinds everywhere, unusual whitespace and formatting";
  outputs = inputs: /* inline */ { # trailing
    inventory = # before the value
      { machines = { a = { tags = [ "x" /* between */ "y" ]; }; b={};c={tags=["z"];};
        # a comment line inside the set
        d /* before = */ = /* after = */ { description = "has # and /* inside */ the string"; } ; };
      instances.i.roles.r.settings = {
        /* multi
           line
           comment */
        a = 1;
        b = /**/ 2;
        c = /***/ 3;
        d = /* ** nested-looking /* still the same comment */ 4;
        e = "#" ;
        f = ''
          # not a comment in an indented string
          /* nor this */
        '';
	g	=	"tabs around";
        h =

          "blank lines around the value"

          ;
        list = [ 1 2
          3
        # comment inside a list
        4 ];
      };
    };
  };
}
# trailing comment without a newline at the end