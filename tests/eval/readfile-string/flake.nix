{
  description = "builtins.readFile gives a string, kept byte for byte";
  outputs = inputs: {
    inventory = {
      meta.name = "readfile";
      meta.description = builtins.readFile ./description.txt;
      machines.m.deploy.targetHost = builtins.readFile ./target-no-newline.txt;
      instances.i.roles.r.settings = {
        motd = builtins.readFile ./files/motd.txt;
        empty = builtins.readFile ./files/empty.txt;
        key = builtins.readFile ./files/key.pub;
      };
    };
  };
}
