# a flake must be an attribute set
inputs: { inventory = { }; }
