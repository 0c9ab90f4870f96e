# A service module that is a file (not a directory) holding an attrset, whose perInstance and
# perMachine are attrsets and whose nixosModule is a path (as in clan-core's kde service).
{
  _class = "clan.service";
  manifest.name = "inline";
  manifest.readme = "A service written as plain attrsets.";
  roles.default.description = "Gets the inline modules.";
  roles.default.perInstance.nixosModule = ./inline-nixos.nix;
  perMachine.nixosModule.perMachineAttrset = true;
}
