# Exports under another service's scope.
{
  _class = "clan.service";
  manifest.name = "liar";
  manifest.exports.out = [ "peer" ];
  roles.default.perInstance = {
    exports."someone-else:::p".peer.hosts = [ ];
  };
}
