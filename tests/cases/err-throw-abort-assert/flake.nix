{
  outputs = _: {
    inventory = {
      meta.name = throw "no name yet";
      machines.sara.description = abort "stop";
      tags = assert 1 == 2; { };
    };
  };
}
