{
  outputs = _: {
    inventory = {
      machines.jon = {
        tags = [ "web" 