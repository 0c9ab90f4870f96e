{
  outputs = _: {
    inventory = {
      machines.".hidden" = { };
      machines."." = { };
      machines.".." = { };
      machines."jon.example.org" = { };
      instances.".backup" = { };
    };
  };
}
