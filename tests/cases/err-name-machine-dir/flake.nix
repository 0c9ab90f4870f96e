{ outputs = _: { inventory = { }; }; }
