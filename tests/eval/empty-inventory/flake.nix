{
  description = "An inventory that is an empty attrset";
  outputs = { self, ... }: {
    inventory = { };
  };
}
