{ modules.svc = ./svc.nix; }
