{
  machines.jon.description = "the web server, which is
