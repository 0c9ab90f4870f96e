{ _class = "clan.service"; manifest.name = "custom"; roles.default = { }; }
