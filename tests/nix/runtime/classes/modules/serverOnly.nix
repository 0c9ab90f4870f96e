{
  serverExtra = true;
}
