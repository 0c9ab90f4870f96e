{ lib, ... }:
{
  options.clan.recorder.port = lib.mkOption {
    type = lib.types.int;
    default = 0;
  };
}
