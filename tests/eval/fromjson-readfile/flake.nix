{
  description = "builtins.fromJSON (builtins.readFile ./x.json), JSON with escapes and numbers";
  outputs = inputs: {
    inventory = builtins.fromJSON (builtins.readFile ./data/inventory-data.json);
  };
}
