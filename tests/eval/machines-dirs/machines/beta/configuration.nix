{ ... }: { networking.hostName = "beta"; }
