{ name = "plain"; }
