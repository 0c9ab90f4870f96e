{
  outputs = inputs: {
    inventory = {
      machines.jon = { tags = [ "web" ] }
      machines.sara = { };
    };
  };
}
