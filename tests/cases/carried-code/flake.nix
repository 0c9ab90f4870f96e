{
  # Values the reader cannot know but membership does not need are carried into the generated
  # files as Nix code, with `inputs` (self included) and `lib` bound there: modules of flake
  # inputs and of `self` in extraModules, and a service module computed by
  # `import ./x { inherit inputs; }`.
  inputs.home-manager.url = "github:nix-community/home-manager";
  outputs =
    inputs@{ self, home-manager, ... }:
    {
      # `self` is the flake: `self.nixosModules.base` is this output, which uses an input, so it
      # is carried as `inputs.self.nixosModules.base`.
      nixosModules.base =
        { ... }:
        {
          imports = [ home-manager.nixosModules.home-manager ];
        };
      modules.greeter = import ./services/greeter { inherit inputs; };
      inventory = {
        machines.jon = { };
        machines.sara = { };
        instances.hello = {
          module.name = "greeter";
          module.input = "self";
          roles.default.machines.jon = { };
          roles.default.tags.all = { };
          roles.default.extraModules = [
            home-manager.nixosModules.home-manager
            self.nixosModules.base
            ({ ... }: { imports = [ inputs.home-manager.nixosModules.default ]; })
            ./users.nix
          ];
        };
      };
    };
}
