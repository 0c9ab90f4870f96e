# The legacy clanModule of this flake: one role.
{ }
