{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs";
}
