{
  outputs = inputs: {
    inventory = {
      machines.jon.tags = [ "web" ];
      machines.jon = {
        tags = [ "db" ];
      };
    };
  };
}
