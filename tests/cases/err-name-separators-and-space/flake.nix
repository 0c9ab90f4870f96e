{
  outputs = _: {
    inventory = {
      machines."a/b" = { };
      machines."/etc/passwd" = { };
      machines."c\\d" = { };
      machines." jon" = { };
      machines."tab\there" = { };
      machines."line\nbreak" = { };
      machines."" = { };
      instances."../../outside" = { };
    };
  };
}
