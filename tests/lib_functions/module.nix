{ greeting }:
{ config, ... }:
{
  message = "${greeting}, world";
}
