{
  outputs = _: {
    inventory = {
      machines."jön" = { };
      machines."日本" = { };
      machines."a\"; evil = \"" = { };
      machines."\${builtins.abort \"x\"}" = { };
      instances."in; x = import /etc/passwd; y" = { };
    };
  };
}
