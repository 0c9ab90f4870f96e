# Static values forced through the island path (tests/islands.rs): each attribute is read by
# the static evaluator and, separately, written back as Nix with its free names bound and
# evaluated by nix-instantiate; both must give the same JSON, or both fail.
let
  n = 42;
  neg = -7;
  big = 9223372036854775807;
  small = -9223372036854775807 - 1;
  f = 0.1;
  tiny = 1.0e-300;
  s = "quote \" backslash \\ dollar-brace \${x} newline\n tab\t unicode ✓ λ";
  mk = prefix: name: {
    inherit name;
    value.tags = [ prefix ];
  };
  curried = mk "web";
  settings = rec {
    port = 8080;
    url = "http://x:${portText}";
    portText = "8080";
  };
  bad = throw "never needed";
  pick = a: b: a;
  data = builtins.fromJSON (builtins.readFile ./differential.json);
  shadow = {
    map = "not the builtin";
  };
in
{
  ints = [ n neg big small (n * neg) (n / 5) (neg / 2) ];
  floats = [ f tiny (f * 3) (n + f) (-f) ];
  string = s;
  interpolated = "${settings.url}/${s}";
  members = (mk "web" "web1") // {
    extra = curried "web2";
  };
  nested = {
    a.b.c = [
      {
        x = null;
        y = true;
        z = false;
      }
    ];
    "odd key" = 1;
    "with.dot" = 2;
    "" = 3;
  };
  lazy = pick 1 bad;
  lazyList = pick [ n ] [ bad ];
  fromFile = data;
  withScope = with settings; port + 1;
  withShadow = with shadow; map;
  conditional = if n > 40 then "big" else bad;
  hasAttr = [
    (settings ? port)
    (settings ? nope)
    (settings.nope or "default")
  ];
  recursive = settings;
  functionResult = curried "web3";
  comparisons = [
    (n == 42)
    ([ 1 2 ] == [ 1 2 ])
    ({ a = 1; } != { a = 2; })
    ("a" < "b")
  ];
  lists = [ n ] ++ [ s ] ++ [ [ ] { } ];
  failing = bad;
  failingOperator = n + "x";
  missing = settings.nope;
}
