{
  outputs = _: { inventory.meta.name = "x"; };
}
