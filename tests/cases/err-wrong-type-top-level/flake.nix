{
  outputs = _: {
    inventory = {
      meta = "my fleet";
      machines = [ "jon" "sara" ];
      instances = "none";
      tags = { web = "jon"; };
    };
  };
}
