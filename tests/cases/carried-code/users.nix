{ users.users.jon.isNormalUser = true; }
