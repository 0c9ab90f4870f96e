{
  outputs = inputs: {
    inventory = {
      machines."../etc" = { };
      machines."web server" = { };
      machines.Jon = { };
      machines.jon = { };
      machines.ok.machineClass = "windows";
      instances."a/b" = { };
    };
  };
}
