# Imported by every backup client.
{ }
