# Reads liar's export.
{
  _class = "clan.service";
  manifest.name = "pick";
  roles.default.perInstance =
    { exports, ... }:
    {
      nixosModule.picked = exports."someone-else:::p".peer.hosts;
    };
}
