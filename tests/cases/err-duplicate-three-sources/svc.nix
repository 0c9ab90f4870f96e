{ roles.r = { }; }
