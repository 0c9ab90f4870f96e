{
  outputs = _: {
    inventory = {
      machines = import ../../outside.nix;
      meta = builtins.fromJSON (builtins.readFile ./../../../meta.json);
      instances = import ./${"../.."}/instances.nix;
    };
  };
}
