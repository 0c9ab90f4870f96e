# Stand-in flake inputs and clan-config evaluators for the differential oracles.
#
# Every `tests/eval/<name>/oracle.nix` is
#
#     let mock = import ../mock.nix { dir = ./.; };
#     in mock.inventoryOf ((import ./flake.nix).outputs mock.inputs)
#
# (or extracts the captured clan call from a differently shaped output first). `inputs` holds
# stand-ins for clan-core, flake-parts and nixpkgs that only *capture* what the flake passes
# them; `inventoryOf` then evaluates the captured definitions with real Nix:
#
# * If the fixture directory has a `needs-lib` file, the definitions are merged by the real
#   module system (`lib.evalModules` from `<nixpkgs/lib>`), shaped like clan-core: the clan config
#   is evaluated as `evalModules { modules = [ clanDefault userModule ]; }`, where `clanDefault`
#   imports the interface and a `module.nix` that in turn imports the `<dir>/inventory.json`
#   module, the `<dir>/machines/<name>/` registrations, the `clan.machines.<name>`
#   registrations, and sets `inventory.meta = meta`. flake-parts is `evalModules` of the mkFlake
#   module, with `flake.clan` a submodule of the same clan config, `clan` an alias of it, and a
#   top-level `inventory` that is an alias of `flake.clan.inventory`.
#   The `inventory` option has a freeform-like type (`inventoryValue`): attrsets merge
#   recursively, lists concatenate, other values must be equal. Where clan-core's inventory
#   schema has a submodule (`inventory`, `meta`, `tags`, `machines.<m>`, `instances.<i>`,
#   `instances.<i>.module`, `roles.<r>`, `roles.<r>.machines.<m>`, `roles.<r>.tags.<t>`), the
#   definitions go through a real (freeform) submodule evaluation too, so the order in which
#   lists from several files are concatenated is the module system's own, as in clan-core.
#   Unlike `types.anything`, `mkForce`/`mkDefault`/`mkOverride` wrappers below the `inventory`
#   option are not resolved: they are printed as written, as `inventory-gen eval` does.
# * Otherwise there is exactly one definition and nothing to merge: `inventoryOf` checks that
#   (no imports, no meta, no machines, no inventory.json, no machines/ directories) and returns
#   the inventory as the flake wrote it. `lib` is then a stub whose `mkOverride`/`mkForce`/
#   `mkDefault` are copied from nixpkgs' lib/modules.nix.
#
# Paths in the result are turned into their absolute path strings (`toString`), as
# `inventory-gen eval` prints them; `--json` would otherwise copy them to the store.
{
  dir,
  useLib ? builtins.pathExists (dir + "/needs-lib"),
}:
let
  stubLib = rec {
    # From nixpkgs lib/modules.nix.
    mkOverride = priority: content: {
      _type = "override";
      inherit priority content;
    };
    mkOptionDefault = mkOverride 1500;
    mkDefault = mkOverride 1000;
    mkImageMediaOverride = mkOverride 60;
    mkForce = mkOverride 50;
    mkVMOverride = mkOverride 10;
  };

  lib = if useLib then import <nixpkgs/lib> else stubLib;

  needsLib =
    why:
    throw "oracle for ${toString dir}: ${why}; this fixture needs a `needs-lib` file (and <nixpkgs/lib> on NIX_PATH)";

  dirStr = toString dir;
  jsonFile = dir + "/inventory.json";
  hasJson = builtins.pathExists jsonFile;
  machinesDir = dir + "/machines";
  machineDirs =
    if builtins.pathExists machinesDir then
      let
        entries = builtins.readDir machinesDir;
      in
      builtins.filter (n: entries.${n} == "directory") (builtins.attrNames entries)
    else
      [ ];

  # Paths print as their absolute file-system path.
  finalize =
    v:
    if builtins.isAttrs v then
      builtins.mapAttrs (_: finalize) v
    else if builtins.isList v then
      map finalize v
    else if builtins.typeOf v == "path" then
      toString v
    else
      v;

  # ---------------------------------------------------------------------------------------------
  # Stand-in inputs. They capture what the flake gives them.

  self = {
    outPath = dirStr;
    inherit inputs;
  };

  clanCall = m: {
    __clanModules = [ m ];
    # What real flakes take from the result; never evaluated by the oracles.
    config = {
      nixosConfigurations = { };
      darwinConfigurations = { };
      nixosModules = { };
      clanInternals = { };
    };
    nixosConfigurations = { };
    darwinConfigurations = { };
    clanInternals = { };
  };

  mkFlake = args: module: {
    __flakeParts = { inherit args module; };
  };

  inputs = {
    inherit self;
    nixpkgs = {
      outPath = "/nonexistent/nixpkgs";
      inherit lib;
    };
    nix-darwin = {
      outPath = "/nonexistent/nix-darwin";
    };
    clan-core = {
      outPath = "/nonexistent/clan-core";
      lib = {
        clan = clanCall;
        buildClan = clanCall;
      };
      flakeModules = {
        default = {
          _file = "mock.nix#clan-core.flakeModules.default";
        };
        clan = {
          _file = "mock.nix#clan-core.flakeModules.clan";
        };
      };
      flakeModule = {
        _file = "mock.nix#clan-core.flakeModule";
      };
    };
    flake-parts = {
      outPath = "/nonexistent/flake-parts";
      lib = { inherit mkFlake; };
    };
    inventory-gen = {
      outPath = "/nonexistent/inventory-gen";
      flakeModules.default = {
        _file = "mock.nix#inventory-gen.flakeModules.default";
      };
      flakeModule = {
        _file = "mock.nix#inventory-gen.flakeModule";
      };
    };
  };

  # ---------------------------------------------------------------------------------------------
  # Real module-system evaluation (needs-lib).

  isPlainSet = v: builtins.isAttrs v && !(v ? _type);

  # Where clan-core's inventory schema has a submodule of its own (modules/inventoryClass/
  # inventory.nix and role.nix): `inventory` itself; `meta`, `tags`, `machines.<m>`,
  # `instances.<i>`; `instances.<i>.module`, `instances.<i>.roles.<r>`; and
  # `roles.<r>.machines.<m>`, `roles.<r>.tags.<t>`. (`machines.<m>.deploy` is a nested option
  # set, not a submodule; `settings` is a unique option, never merged.) `rel` is the location
  # below `inventory`.
  isSubmoduleAt =
    rel:
    let
      n = builtins.length rel;
      at = builtins.elemAt rel;
    in
    n == 0
    || (n == 1 && (at 0 == "meta" || at 0 == "tags"))
    || (n == 2 && (at 0 == "machines" || at 0 == "instances"))
    || (n == 3 && at 0 == "instances" && at 2 == "module")
    || (n == 4 && at 0 == "instances" && at 2 == "roles")
    || (n == 6 && at 0 == "instances" && at 2 == "roles" && (at 4 == "machines" || at 4 == "tags"));

  # The location below the clan config's `inventory` option.
  relativeLoc =
    loc:
    let
      go = l: if l == [ ] then [ ] else if builtins.head l == "inventory" then builtins.tail l else go (builtins.tail l);
    in
    go loc;

  # Priority wrappers are kept as written (inventory-gen re-emits them for Nix to apply), so they
  # are hidden from the module system's own override handling while they pass through a
  # submodule, and unwrapped again below it.
  protect = v: if builtins.isAttrs v && v ? _type then { __inventoryGenKept = v; } else v;
  unprotect = v: if builtins.isAttrs v && v ? __inventoryGenKept then v.__inventoryGenKept else v;

  # A freeform submodule: a real module evaluation, as clan-core's typed submodules are, so
  # definitions are collected (and ordered) by the module system exactly as there.
  submoduleLevel = lib.types.submoduleWith {
    modules = [ { freeformType = lib.types.lazyAttrsOf inventoryValue; } ];
    shorthandOnlyDefinesConfig = true;
  };

  mergeInventoryValues =
    loc: defs0:
    let
      defs = map (d: d // { value = unprotect d.value; }) defs0;
      values = map (d: d.value) defs;
    in
    if builtins.all isPlainSet values && isSubmoduleAt (relativeLoc loc) then
      builtins.removeAttrs (submoduleLevel.merge loc (
        map (d: d // { value = builtins.mapAttrs (_: protect) d.value; }) defs
      )) [ "_module" ]
    else if builtins.all isPlainSet values then
      let
        names = lib.unique (lib.concatMap builtins.attrNames values);
      in
      lib.genAttrs names (
        n:
        mergeInventoryValues (loc ++ [ n ]) (
          lib.concatMap (
            d:
            lib.optional (d.value ? ${n}) {
              inherit (d) file;
              value = d.value.${n};
            }
          ) defs
        )
      )
    else if builtins.all builtins.isList values then
      lib.concatMap (d: d.value) defs
    else
      lib.mergeEqualOption loc defs;

  inventoryValue = lib.mkOptionType {
    name = "inventoryValue";
    description = "inventory definition (attrsets merge, lists concatenate, other values must be equal)";
    check = _: true;
    merge = mergeInventoryValues;
  };

  # clan-core's modules/clan/default.nix: `{ imports = [ ./top-level-interface.nix ./module.nix ]; }`
  clanDefault = {
    _file = "mock.nix#clanDefault";
    imports = [
      clanInterface
      clanModule
    ];
  };

  clanInterface =
    { lib, ... }:
    {
      _file = "mock.nix#top-level-interface";
      # specialArgs, secrets, self, pkgsForSystem, templates, …: accepted, never read.
      freeformType = lib.types.lazyAttrsOf lib.types.unspecified;
      options = {
        inventory = lib.mkOption { type = inventoryValue; };
        meta = lib.mkOption { type = inventoryValue; };
        machines = lib.mkOption {
          type = lib.types.lazyAttrsOf lib.types.unspecified;
          default = { };
        };
        modules = lib.mkOption {
          type = lib.types.lazyAttrsOf lib.types.unspecified;
          default = { };
        };
      };
    };

  # clan-core's modules/clan/module.nix (the parts that define `inventory`).
  clanModule =
    {
      lib,
      config,
      options,
      ...
    }:
    {
      _file = "mock.nix#module";
      imports = [
        (
          if hasJson then
            {
              _file = toString jsonFile;
              inventory = builtins.fromJSON (builtins.readFile jsonFile);
            }
          else
            { _file = "mock.nix#no-inventory.json"; }
        )
        {
          _file = "${dirStr}/machines";
          inventory = lib.mkIf (machineDirs != [ ]) {
            machines = lib.genAttrs machineDirs (_: { });
          };
        }
        {
          _file = "mock.nix#clan.machines";
          inventory = lib.mkIf (builtins.attrNames config.machines != [ ]) {
            machines = builtins.mapAttrs (_: _: { }) config.machines;
          };
        }
      ];
      config.inventory = lib.mkIf options.meta.isDefined { meta = config.meta; };
    };

  clanSpecialArgs = {
    inherit self;
    inherit (inputs) nixpkgs nix-darwin clan-core;
  };

  evalClanModules =
    modules:
    (lib.evalModules {
      class = "clan";
      specialArgs = clanSpecialArgs;
      modules = [ clanDefault ] ++ modules;
    }).config.inventory;

  flakePartsSchema =
    { lib, ... }:
    {
      _file = "mock.nix#flake-parts";
      imports = [
        (lib.mkAliasOptionModule [ "clan" ] [ "flake" "clan" ])
        (lib.mkAliasOptionModule [ "inventory" ] [ "flake" "clan" "inventory" ])
      ];
      # systems, perSystem, …: accepted, never read.
      freeformType = lib.types.lazyAttrsOf lib.types.unspecified;
      options.flake = lib.mkOption {
        default = { };
        type = lib.types.submoduleWith {
          modules = [
            {
              freeformType = lib.types.lazyAttrsOf lib.types.unspecified;
              options.clan = lib.mkOption {
                default = { };
                type = lib.types.submoduleWith {
                  class = "clan";
                  specialArgs = clanSpecialArgs;
                  modules = [ clanDefault ];
                };
              };
            }
          ];
        };
      };
      config._module.args.withSystem = _: _: throw "withSystem is not available in the oracle";
    };

  evalFlakeParts =
    captured:
    (lib.evalModules {
      specialArgs = {
        inherit self;
        inherit (captured.args) inputs;
        flake-parts-lib = { };
      };
      modules = [
        flakePartsSchema
        captured.module
      ];
    }).config.flake.clan.inventory;

  # ---------------------------------------------------------------------------------------------
  # One definition, nothing to merge (no lib).

  noFileSources =
    if hasJson then
      needsLib "inventory.json exists"
    else if machineDirs != [ ] then
      needsLib "machines/<name>/ directories exist"
    else
      true;

  singleClanModule =
    m:
    if !builtins.isAttrs m then
      needsLib "the clan config is a function or a path"
    else if m ? imports then
      needsLib "the clan config has imports"
    else if m ? meta then
      needsLib "the clan config has meta"
    else if m ? machines then
      needsLib "the clan config has machines"
    else
      assert noFileSources;
      m.inventory;

  singleFlakeParts =
    captured:
    let
      m0 = captured.module;
      m =
        if builtins.isFunction m0 then
          m0 {
            inherit lib self;
            inherit (captured.args) inputs;
            config = throw "config is not available without <nixpkgs/lib>";
            options = throw "options is not available without <nixpkgs/lib>";
            withSystem = throw "withSystem is not available in the oracle";
            flake-parts-lib = { };
          }
        else
          m0;
    in
    if !builtins.isAttrs m then
      needsLib "the flake-parts module is not an attrset"
    else if m ? imports then
      needsLib "the flake-parts module has imports"
    else if m ? inventory && m ? clan then
      needsLib "both inventory and clan are defined"
    else if m ? inventory then
      assert noFileSources;
      m.inventory
    else
      singleClanModule m.clan;

  # ---------------------------------------------------------------------------------------------

  inventoryOf =
    out:
    finalize (
      if out ? __clanModules then
        (if useLib then evalClanModules else ms: singleClanModule (builtins.head ms)) out.__clanModules
      else if out ? __flakeParts then
        (if useLib then evalFlakeParts else singleFlakeParts) out.__flakeParts
      else if out ? inventory then
        (if useLib then evalClanModules else ms: singleClanModule (builtins.head ms)) [
          {
            _file = "${dirStr}/flake.nix#outputs";
            inherit (out) inventory;
          }
        ]
      else
        throw "oracle for ${dirStr}: no inventory in the flake outputs"
    );
in
{
  inherit
    inputs
    inventoryOf
    lib
    finalize
    ;
}
