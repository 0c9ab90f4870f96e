# A file, not a machine.
{ }
