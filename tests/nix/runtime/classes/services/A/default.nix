# Declares a different option from each nixosModule and darwinModule, so the observed config
# shows which ones a machine imported.
{ lib, ... }:
{
  manifest.name = "A";
  roles.peer.perInstance =
    { ... }:
    {
      nixosModule = {
        options.bar = lib.mkOption { default = 1; };
      };
      darwinModule = {
        options.darwinBar = lib.mkOption { default = 2; };
      };
    };
  roles.server = { };
  perMachine =
    { ... }:
    {
      nixosModule = {
        options.foo = lib.mkOption { default = 1; };
      };
      darwinModule = {
        options.darwinFoo = lib.mkOption { default = 3; };
      };
    };
}
