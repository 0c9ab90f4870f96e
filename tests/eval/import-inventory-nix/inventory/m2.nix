{ description = "from a file imported by a file imported by a file"; }
