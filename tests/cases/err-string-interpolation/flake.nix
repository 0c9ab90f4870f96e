{
  outputs = _: {
    inventory = {
      machines.jon.description = "${./secret.txt}";
      meta.name = "${1}";
      tags.x = [ "${{ }}" ];
    };
  };
}
