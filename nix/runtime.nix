# inventory-gen runtime: applies clan.service modules to one machine, with clan-core's semantics.
# `import ./runtime.nix { inputs, directory, meta }` gives `{ machine, index }`; the generated stub
# `machines/<m>.nix` calls `machine { name, class, tags, deploy?, description?, instances }`
# (`instances.<i>.<r>` for every role the machine holds in instance `i`, being the machine's own
# entry `{ settings?, tags? }` of the role's members; `instances` is a function of `{ lib }` when
# entries hold settings, of `{ lib, inputs }` when these hold code carried from the flake; the
# instance's file is `instances/<i>.nix` beside this file) and gets the machine's whole inventory
# module. `index stub classes` is what `default.nix` returns. For each service, keyed by the pair
# (module.input, module.name), it evaluates the `clan.service` module once (`class =
# "clan.service"`, specialArgs `clanLib`, `directory`, `exports`, `meta`), evaluates each
# membership's settings, runs `perInstance` per (instance, role, machine) and `perMachine` per
# (service, machine) with clan-core's arguments, and imports their `nixosModule`s (class "nixos") or
# `darwinModule`s (class "darwin") plus each membership's `extraModules`, in clan-core's order.
# `clanLib` is the `clanLib` (or `lib`) of the `clan-core` input. `exports` are clan-core's
# (lib/inventory/distributed-service: service-module.nix, all-services-wrapper.nix): the fleet's
# services (every `instances/<i>.nix`, grouped by service) that declare `manifest.exports.out`
# export from their service module and every perMachine and perInstance of every member (keys
# checked with clanLib.checkExports / checkScope, built by `mkExports` with buildScopeKey), merged
# by scope key with the export interfaces they declare (clan-core's `clan.exportInterfaces`).
# Legacy `services.<module>.<instance>` (stub `services.<module>.<instance> = { file, roles }`)
# are applied as clan-core's legacy builder did: the member imports the module's
# `roles/<role>.nix` of its roles and the instance's, its own and its roles' `extraModules`
# (a string names a file relative to `directory`), gets `clan.<module>` set from the non-empty
# `config` layers (instance, machine, then each of its roles; one module each, so priorities and
# the option's merge apply), and `clan.inventory.services.<module>.<instance>.roles`, every role
# of the module with its `machines` list (an option the runtime declares).
# Guarantees:
# - The module takes `lib` from the module system that imports it (NixOS, nix-darwin or a bare
#   `lib.evalModules`), never uses `pkgs`, sets `_class` to the machine's class, and imports only
#   the instance files its stub names. An instance's members file (every member of every role) is
#   read only when a service looks at the other members (`roles` of perInstance, `instances` of
#   perMachine, the service's `config.instances`): the machine's own settings come from its stub,
#   so evaluating one machine does not cost more in a larger fleet (legacy services excepted:
#   clan-core gives every member the whole member lists of their roles).
# - Settings of a machine in (instance, role) are ONE module evaluation of the role's `interface`,
#   the role settings, the machine settings and the settings of the role's tags it carries, so
#   priorities, types, defaults and conflicts behave as in clan-core; errors name the layer.
# - A role the service does not define, an unknown key in a service module, or a stub naming a
#   role its instance does not define is an error; so is a stub that disagrees with the instance's
#   members file about the machine's roles, found when that file is read.
# - A stub without `services` (a flake without legacy services) gives exactly the modules it
#   gave before they were supported; with `services` (`{ }` for a machine in no legacy
#   instance) the machine also gets the declaration of `clan.inventory.services`, as every
#   clan machine had it (so it cannot be combined with clan-core's old clanCore module, which
#   declares it too).
# - `exports` cost nothing until a service reads them; then every instance file is read and
#   every service module evaluated once (for its manifest), and the services that export are
#   run for every member (their members files are read): the cost grows with the exporting
#   services' memberships, as in clan-core, and not with the rest of the fleet.
# - Missing inputs are errors naming the input, the instance or service, and how to pass it.
# Not provided: clan-core's JSON-schema assertions, `clan.exportInterfaces` of the flake's own
# clan config (the interfaces are clan-core's: from the input's `clan.exportInterfaces` or its
# source; when neither is there, each declared interface accepts any attributes). Services whose
# manifest declares no `exports.out` are not run for exports (in clan-core their exports are an
# error). A service's `config.instances` holds only this machine's instances in the machine's own
# evaluation (all of the service's instances in the exports' evaluation). Role-description and
# readme warnings are added to NixOS machines when the importing system declares `warnings`.
# Legacy modules' README frontmatter (`features`, `constraints`) is not read.
{
  inputs,
  directory,
  meta,
}:
let
  # clan-core's error-context id of a service ("<input>-<name>"); only used in messages.
  label =
    spec: "${if spec.input or null == null then "<clan-core>" else spec.input}-${spec.name}";
  canonical =
    spec: "${if spec.input or null == null then "<clan-core>" else spec.input}/${spec.name}";
  at = file: module: {
    _file = file;
    imports = [ module ];
  };

  # clan-core, whose library (`clanLib`, also its `lib`) services get and whose export checks
  # and interfaces the runtime uses. Only forced when a service needs it.
  clanCore = inputs.clan-core or null;
  hasClanLib = clanCore != null && (clanCore ? clanLib || clanCore ? lib);

  howToPass = ''
    Add the input to flake.nix (`inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";`)
    and pass the flake's inputs to the generated inventory: `lib.mkConfigurations { inherit inputs; … }`
    (the flake-parts module passes them), or `{ inherit inputs; }` where you import the generated
    directory yourself.'';

  # `clanLib` for `what` (a service): clan-core's, or an error naming the service.
  clanLibFor =
    what:
    if clanCore == null then
      throw ''
        inventory-gen: ${what} uses `clanLib`, clan-core's library, which the runtime takes from
        the flake input `clan-core`; the generated inventory was given no input `clan-core`.
        ${howToPass}''
    else
      clanCore.clanLib or clanCore.lib or (throw ''
        inventory-gen: ${what} uses `clanLib`, but the input `clan-core` has neither `clanLib` nor
        `lib`: pass clan-core itself as `inputs.clan-core`.'');

  # The inputs an instance file sees: where the input its module comes from (or the module in
  # its `clan.modules`) is missing, a message naming the input, the instance and how to pass it.
  guardInputs =
    instance: module:
    let
      input = module.input or null;
      missing = why: ''
        inventory-gen: instance '${instance}' uses the clan.service module '${module.name}' of the
        flake input '${input}', but ${why}.
        ${
          if input == "clan-core" then
            howToPass
          else
            "Add the input `${input}` to flake.nix and pass the flake's inputs to the generated inventory: `lib.mkConfigurations { inherit inputs; … }` (the flake-parts module passes them), or pass `{ inherit inputs; }` where you import the generated directory."
        }'';
    in
    if input == null || input == "self" then
      inputs
    else if !(inputs ? ${input}) then
      inputs // { ${input} = throw (missing "the generated inventory was given no input '${input}'"); }
    else if !(inputs.${input} ? clan.modules.${module.name}) then
      inputs
      // {
        ${input} = inputs.${input} // {
          clan = (inputs.${input}.clan or { }) // {
            modules = (inputs.${input}.clan.modules or { }) // {
              ${module.name} = throw (missing "'${input}' has no `clan.modules.${module.name}`");
            };
          };
        };
      }
    else
      inputs;

  withLib =
    lib:
    let
      inherit (lib) mkOption types;

      # The static options of a `perInstance` or `perMachine` result.
      resultOptions = {
        options.nixosModule = mkOption {
          type = types.deferredModule;
          default = { };
        };
        options.darwinModule = mkOption {
          type = types.deferredModule;
          default = { };
        };
        options.exports = mkOption {
          type = types.lazyAttrsOf types.deferredModule;
          default = { };
        };
      };

      # The clan.service interface: what a service module may define.
      serviceOptions =
        {
          spec,
          instances,
        }:
        { config, ... }:
        {
          config._module.args.name = label spec;
          options = {
            _docs_rendering = mkOption {
              type = types.bool;
              default = false;
              visible = false;
            };
            module = mkOption {
              type = types.raw;
              default = spec;
              visible = false;
            };
            instances = mkOption {
              type = types.lazyAttrsOf types.raw;
              default = instances;
              visible = false;
            };
            manifest = mkOption {
              type = types.submodule {
                options = {
                  name = mkOption { type = types.str; };
                  description = mkOption {
                    type = types.str;
                    default = "No description";
                  };
                  readme = mkOption {
                    type = types.str;
                    default = "";
                  };
                  categories = mkOption {
                    type = types.listOf (
                      types.enum [
                        "Audio"
                        "AudioVideo"
                        "Desktop"
                        "Development"
                        "Education"
                        "Game"
                        "Graphics"
                        "Network"
                        "Office"
                        "Science"
                        "Settings"
                        "Social"
                        "System"
                        "Uncategorized"
                        "Utility"
                        "Video"
                      ]
                    );
                    default = [ "Uncategorized" ];
                  };
                  exports.out = mkOption {
                    type = types.listOf types.str;
                    default = [ ];
                  };
                  exports.inputs = mkOption {
                    type = types.listOf types.str;
                    default = [ ];
                  };
                  constraints.maxInstances = mkOption {
                    type = types.nullOr types.ints.positive;
                    default = null;
                  };
                  constraints.roles = mkOption {
                    type = types.attrsOf (
                      types.submodule {
                        options.minMachines = mkOption {
                          type = types.nullOr types.ints.unsigned;
                          default = null;
                        };
                        options.maxMachines = mkOption {
                          type = types.nullOr types.ints.positive;
                          default = null;
                        };
                      }
                    );
                    default = { };
                  };
                };
              };
            };
            roles = mkOption {
              type = types.attrsOf (
                types.submodule {
                  options.description = mkOption {
                    type = types.nullOr types.str;
                    default = null;
                  };
                  options.interface = mkOption {
                    type = types.deferredModule;
                    default = { };
                  };
                  options.perInstance = mkOption {
                    type = types.deferredModule;
                    default = { };
                  };
                }
              );
              default = throw ''
                Role behavior of service '${config.manifest.name}' must be defined: a clan.service
                module defines its roles, e.g. `roles.client = { }`.
                Service: ${canonical spec}
              '';
            };
            perMachine = mkOption {
              type = types.deferredModule;
              default = { };
            };
            exports = mkOption {
              type = types.lazyAttrsOf types.deferredModule;
              default = { };
            };
          };
        };

      # One clan.service module applied to a set of its instances, with clan-core's semantics:
      # `records` are the instances (each `{ instance, file, data, members }`, plus, for machine
      # `name`'s own evaluation, `roles` and `entry`: the machine's roles and its stub entries).
      # `name` is the machine whose own settings come from its stub (null in the fleet view).
      # Everything is lazy: a machine's perInstance reads the instance's members file only when
      # the service looks at the other members.
      serviceModel =
        {
          spec,
          records,
          name ? null,
          extraModules ? [ ],
        }:
        let
          first = builtins.head records;
          id = label spec;
          what = "clan.service module ${canonical spec}";
          instances = lib.listToAttrs (map (m: lib.nameValuePair m.instance m) records);
          clanLib = clanLibFor what;

          service =
            (lib.evalModules {
              class = "clan.service";
              prefix = [ id ];
              specialArgs = {
                inherit clanLib directory meta;
                exports = exportsFor what;
              };
              modules = [
                (serviceOptions {
                  inherit spec;
                  instances = lib.mapAttrs (_: m: {
                    inherit (m.data) module;
                    roles = lib.mapAttrs (role: r: r // { machines = m.members.${role}; }) m.data.roles;
                  }) instances;
                })
                (at what first.data.service)
              ]
              ++ extraModules;
            }).config;

          # Settings of `machine` (null: the role-level view), whose entry in the role's members is
          # `m`, in (instance, role).
          evalSettings =
            instance: file: data: role: machine: m:
            let
              r = data.roles.${role};
              via = "${toString file}, via inventory.instances.${instance}.roles.${role}";
            in
            lib.evalModules {
              prefix = [
                id
                "instances"
                instance
                "roles"
                role
              ]
              ++ lib.optionals (machine != null) [
                "machines"
                machine
              ]
              ++ [ "settings" ];
              class = "${service.manifest.name}.${role}.settings";
              specialArgs = { inherit meta; };
              modules = [
                (at "${what}: roles.${role}.interface" service.roles.${role}.interface)
                (at "${via}.settings" (r.settings or { }))
              ]
              ++ lib.optional (machine != null) {
                imports = [
                  (at "${via}.machines.${machine}.settings" (m.settings or { }))
                ]
                ++ map (t: at "${via}.tags.${t}.settings" (r.tags.${t}.settings or { })) (
                  m.tags or [ ]
                );
              };
            };

          # Lazily memoised settings evaluations of every role and member of each instance. The
          # machine's own come from its stub (`entry`); the other members' only when a service
          # looks at them, which reads the instance's members file.
          evals = lib.mapAttrs (
            instance: m:
            let
              eval = evalSettings instance m.file m.data;
              own = lib.mapAttrs (role: eval role name) (m.entry or { });
            in
            lib.mapAttrs (role: _: {
              role = eval role null { };
              inherit own;
              machines = lib.mapAttrs (
                machine: entry: if machine == name then own.${role} else eval role machine entry
              ) m.members.${role};
            }) m.data.roles
          ) instances;

          settingsOf =
            instance: role: machine:
            if machine == name && (instances.${instance}.entry or { }) ? ${role} then
              evals.${instance}.${role}.own.${role}
            else
              evals.${instance}.${role}.machines.${machine};

          # The `roles` argument of perInstance (and `instances.<i>.roles` of perMachine), once per
          # instance so that the deprecation warning is printed once.
          views = lib.mapAttrs (
            instance:
            lib.mapAttrs (
              role: e: {
                settings = lib.warn ''
                  'roles.${role}.settings' (instance '${instance}', ${canonical spec}) is the
                  role-level view without machine-specific settings, deprecated in clan-core:
                  prefer 'roles.${role}.machines.<machineName>.settings'.
                '' e.role.config;
                machines = lib.mapAttrs (_: s: { settings = s.config; }) e.machines;
              }
            )
          ) evals;

          # The roles `machine` holds in `instance` (the machine's own from its stub).
          rolesIn =
            instance: machine:
            let
              m = instances.${instance};
            in
            if machine == name && m ? roles then
              m.roles
            else
              lib.filter (r: m.members.${r} ? ${machine}) (lib.attrNames m.members);

          # clan-core's scope key of an export (`clanLib.buildScopeKey` when clan-core is given).
          scopeKey =
            args:
            if hasClanLib then
              clanLib.buildScopeKey args
            else
              lib.concatStringsSep ":" [
                (args.serviceName or "")
                (args.instanceName or "")
                (args.roleName or "")
                (args.machineName or "")
              ];

          perInstance =
            instance: role: machine:
            let
              final = settingsOf instance role machine;
            in
            (lib.evalModules {
              specialArgs = {
                instanceName = instance;
                settings = final.config;
                extendSettings = modules: (final.extendModules { modules = lib.toList modules; }).config;
                machine = {
                  name = machine;
                  roles = rolesIn instance machine;
                };
                roles = views.${instance};
                inherit meta;
                exports = exportsFor what;
                mkExports = v: {
                  ${scopeKey {
                    serviceName = service.manifest.name;
                    instanceName = instance;
                    roleName = role;
                    machineName = machine;
                  }} = v;
                };
              };
              modules = [
                resultOptions
                (at "${what}: roles.${role}.perInstance" service.roles.${role}.perInstance)
              ];
            }).config;

          # The instances of `machine` (all of them for the machine's own evaluation).
          instancesOf =
            machine:
            if machine == name then
              lib.attrNames instances
            else
              lib.filter (i: rolesIn i machine != [ ]) (lib.attrNames instances);

          perMachine =
            machine:
            let
              of = instancesOf machine;
            in
            (lib.evalModules {
              specialArgs = {
                machine = {
                  name = machine;
                  roles = lib.unique (lib.sort lib.lessThan (lib.concatMap (i: rolesIn i machine) of));
                };
                instances = lib.genAttrs of (instance: {
                  roles = views.${instance};
                });
                inherit meta;
                exports = exportsFor what;
                mkExports = v: {
                  ${scopeKey {
                    serviceName = service.manifest.name;
                    machineName = machine;
                  }} = v;
                };
                settings = throw ''
                  'perMachine' doesn't have a 'settings' argument: settings belong to a role.
                  Use 'instances.<instanceName>.roles.<roleName>.machines.<machineName>.settings'
                  or 'roles.<roleName>.perInstance' instead of 'perMachine'.
                  Service: ${canonical spec}
                '';
              };
              modules = [
                resultOptions
                (at "${what}: perMachine" service.perMachine)
              ];
            }).config;
        in
        {
          inherit
            spec
            id
            what
            instances
            service
            clanLib
            perInstance
            perMachine
            ;
        };

      # What clan-core's service module adds to a service's `exports` (its `imports`): the
      # checked exports of every perMachine, then of every perInstance (roles, instances and
      # machines in name order), each scope key's definitions as one module.
      exportsCollector =
        model:
        let
          inherit (model) service clanLib instances;
          name = service.manifest.name;
          membersOf = role: i: instances.${i}.members.${role} or { };
          allMachines = lib.unique (
            lib.sort lib.lessThan (
              lib.concatMap (
                m: lib.concatMap (role: lib.attrNames m.members.${role}) (lib.attrNames m.members)
              ) (lib.attrValues instances)
            )
          );
          collect = lib.zipAttrsWith (_: values: { imports = values; });
        in
        {
          imports = [
            {
              exports = collect (
                map (
                  machineName:
                  clanLib.checkExports {
                    serviceName = name;
                    inherit machineName;
                    errorDetails = ''
                      Export validation failed in service '${name}'

                      Context:
                        - Service: ${name}
                        - Machine: ${machineName}
                        - Source: perMachine exports

                      Problem: Export keys must match their context.

                      Hint: Use 'mkExports' helper to ensure correct scope:
                        perMachine = { mkExports, ... }: {
                          exports = mkExports {
                            # your exports here
                          };
                        };
                    '';
                  } (model.perMachine machineName).exports
                ) allMachines
              );
            }
            {
              exports = collect (
                lib.concatMap (
                  roleName:
                  lib.concatMap (
                    instanceName:
                    map (
                      machineName:
                      clanLib.checkExports {
                        serviceName = name;
                        inherit machineName instanceName roleName;
                        errorDetails = ''
                          Export validation failed in service '${name}'

                          Context:
                            - Service: ${name}
                            - Instance: ${instanceName}
                            - Role: ${roleName}
                            - Machine: ${machineName}
                            - Source: perInstance exports

                          Problem: Export keys must match their context.

                          Hint: Use 'mkExports' helper to ensure correct scope:
                            roles.${roleName}.perInstance = { mkExports, ... }: {
                              exports = mkExports {
                                # your exports here
                              };
                            };
                        '';
                      } (model.perInstance instanceName roleName machineName).exports
                    ) (lib.attrNames (membersOf roleName instanceName))
                  ) (lib.attrNames instances)
                ) (lib.attrNames service.roles)
              );
            }
          ];
        };

      # The service-module key of an instance: services are keyed by the pair (input, name),
      # which is injective.
      serviceKey =
        module:
        builtins.toJSON [
          (module.input or null)
          module.name
        ];
      byLabel =
        groups: a: b:
        let
          la = label (builtins.head groups.${a}).data.module;
          lb = label (builtins.head groups.${b}).data.module;
        in
        la < lb || (la == lb && a < b);

      # The exports of the whole fleet, as clan-core's `exports`: every instance of the generated
      # directory (its `instances/` files), grouped by service; for each service whose manifest
      # declares `exports.out`, its service-level exports and those of every perMachine and
      # perInstance of every member, checked against the scope; merged by scope key with the
      # export interfaces the service declares, and each key evaluated as a module when read.
      # Nothing here is evaluated unless a service reads `exports`; then the members files of
      # the exporting services' instances are read (not those of the other services).
      fleet =
        let
          names = map (lib.removeSuffix ".nix") (
            lib.filter (f: lib.hasSuffix ".nix" f && !(lib.hasSuffix ".members.nix" f)) (
              lib.attrNames (builtins.readDir ./instances)
            )
          );
          records = map (
            instance:
            let
              loaded = load instance;
            in
            loaded // { inherit (loaded.data) members; }
          ) names;
          groups = lib.groupBy (r: serviceKey r.data.module) records;
          models = map (
            k:
            let
              rs = groups.${k};
              self = serviceModel {
                spec = {
                  input = (builtins.head rs).data.module.input or null;
                  inherit ((builtins.head rs).data.module) name;
                };
                records = rs;
                extraModules = [ (exportsCollector self) ];
              };
            in
            self
          ) (lib.sort (byLabel groups) (lib.attrNames groups));
          exporting = lib.filter (m: m.service.manifest.exports.out != [ ]) models;
          allExports = map (m: m.service.exports) exporting;
          manifestByName = lib.zipAttrsWith (_: ms: lib.head ms) (
            map (m: lib.mapAttrs (_: _: m.service.manifest) m.service.exports) exporting
          );
          interfaces = exportInterfaces (builtins.head exporting).clanLib;
          mergedByName = lib.zipAttrsWith (
            name: exports:
            let
              manifest = manifestByName.${name};
              availableContract = ''
                Available export interfaces

                ${lib.concatStringsSep "\n" (lib.attrNames (if interfaces == null then { } else interfaces))}
              '';
              enabled = map (
                t:
                if interfaces == null then
                  permissiveInterface t
                else
                  interfaces.${t} or (throw ''
                    Export interface: '${t}' doesn't exist
                    Service: '${manifest.name}'

                    - Remove it from 'manifest.exports.out'
                    - Add it to 'clan.exportInterfaces.${t}'

                    ${availableContract}
                  '')
              ) manifest.exports.out;
              checked = (builtins.head exporting).clanLib.checkScope {
                serviceName = manifest.name;
                errorDetails = ''
                  Export validation failed in service '${manifest.name}'

                  Context:
                    - Service: ${manifest.name}
                    - Source: exports

                  Problem: Services can only export to their own scope (here: "${manifest.name}:::")
                '';
              } name;
            in
            builtins.seq checked { imports = exports ++ enabled; }
          ) allExports;
        in
        {
          inherit exporting;
          exports =
            (lib.evalModules {
              modules = [
                {
                  options.exports = mkOption {
                    type = types.lazyAttrsOf (types.submoduleWith { modules = [ ]; });
                    default = { };
                  };
                  config.exports = mergedByName;
                }
              ];
            }).config.exports;
        };

      # The fleet's exports for `what` (a service). Without clan-core they are `{ }` when no
      # service of the fleet declares `manifest.exports.out`, else an error naming `what`.
      exportsFor =
        what:
        if hasClanLib || fleet.exporting == [ ] then
          fleet.exports
        else
          throw ''
            inventory-gen: ${what} reads `exports`, which are checked and merged with clan-core's
            library (`clanLib`), taken from the flake input `clan-core`; the generated inventory was
            given no input `clan-core` (or one without `clanLib`).
            ${howToPass}'';

      # clan-core's export interfaces (`clan.exportInterfaces`, each wrapped as clan-core's
      # option `<name> = nullOr (submodule …)`): from the clan-core input's `clan`, else from its
      # source, else null (then every declared interface accepts any attributes, see docs).
      exportInterfaces =
        clanLib:
        let
          file = "${toString clanCore.outPath}/modules/clan/top-level-interface.nix";
        in
        if (clanCore.clan or { }) ? exportInterfaces then
          clanCore.clan.exportInterfaces
        else if clanCore ? outPath && builtins.pathExists file then
          (lib.evalModules {
            modules = [ file ];
            specialArgs = {
              inherit clanLib;
              self = throw "inventory-gen: clan-core's top-level interface read `self` while giving its export interfaces";
            };
          }).config.exportInterfaces
        else
          null;

      permissiveInterface = n: {
        options.${n} = mkOption {
          type = types.nullOr (types.submodule { freeformType = types.lazyAttrsOf types.anything; });
          default = null;
        };
      };

      # An instance file, imported with inputs that name what is missing instead of Nix's
      # `attribute '…' missing`.
      load =
        instance:
        let
          file = ./instances + "/${instance}.nix";
          data = import file {
            inherit lib;
            inputs = guardInputs instance data.module;
          };
        in
        {
          inherit instance file data;
        };

      # Everything one service contributes to machine `name`; `members` are the machine's
      # instances of this service, in instance-name order.
      applyService =
        {
          name,
          class,
          members,
        }:
        let
          first = builtins.head members;
          spec = {
            input = first.data.module.input or null;
            inherit (first.data.module) name;
          };
          model = serviceModel {
            inherit spec name;
            records = members;
          };
          inherit (model) service what instances;

          checkRoles =
            instance: data:
            let
              defined = lib.attrNames service.roles;
              unknown = lib.filter (r: !(service.roles ? ${r})) (lib.attrNames data.roles);
            in
            if unknown == [ ] then
              true
            else
              throw ''
                Instance '${instance}' uses the following roles:
                ${builtins.toJSON unknown}
                but the clan-service module '${service.manifest.name}' (${canonical spec}) only
                defines roles:
                ${builtins.toJSON defined}
              '';

          # clan-core's order: roles, then instances, both by name.
          byRoleThenInstance =
            a: b: a.role < b.role || (a.role == b.role && a.instance < b.instance);
          memberships = lib.sort byRoleThenInstance (
            lib.concatMap (
              m:
              map (role: {
                inherit (m) instance;
                inherit role;
              }) m.roles
            ) members
          );

          attr = if class == "darwin" then "darwinModule" else "nixosModule";

          warnings =
            { options, ... }:
            {
              config = lib.optionalAttrs (options ? warnings) {
                warnings =
                  map (r: "Missing description for role '${r}' of clanService '${canonical spec}'") (
                    lib.attrNames (lib.filterAttrs (_: r: r.description == null) service.roles)
                  )
                  ++ lib.optional (service.manifest.readme == "") (
                    "Missing manifest.readme for clanService '${canonical spec}'"
                  );
              };
            };
        in
        # Force what clan-core always forces, so unknown or missing keys fail here too.
        assert builtins.isString service.manifest.name;
        assert lib.all builtins.isAttrs (lib.attrValues service.roles);
        assert lib.all (m: checkRoles m.instance m.data) members;
        {
          imports =
            lib.optional (class == "nixos") warnings
            ++ [ (at "${what}: perMachine, machine '${name}'" (model.perMachine name).${attr}) ]
            ++ map (
              { instance, role }:
              let
                via = "inventory.instances.${instance}.roles.${role}";
              in
              at "${what}: ${via}, machine '${name}'" {
                imports = [
                  (at "${what}: roles.${role}.perInstance, instance '${instance}'" (
                    model.perInstance instance role name
                  ).${attr})
                ]
                ++ map (at "${via}.extraModules") (
                  instances.${instance}.data.roles.${role}.extraModules or [ ]
                );
              }
            ) memberships;
        };

      # clan-core's NixOS option describing legacy memberships (clanCore's inventory interface).
      legacyOptions = {
        options.clan.inventory.services = mkOption {
          default = { };
          type = types.attrsOf (
            types.attrsOf (
              types.submodule {
                options.roles = mkOption {
                  type = types.attrsOf (
                    types.submodule {
                      options.machines = mkOption { type = types.listOf types.str; };
                    }
                  );
                };
              }
            )
          );
        };
      };

      # What the legacy instance `services.<module>.<instance>` gives machine `name`.
      legacyInstance =
        name: module: instance: entry:
        let
          data = import entry.file { inherit lib; };
          actual = lib.filter (r: lib.elem name data.roles.${r}.machines) (lib.attrNames data.roles);
          via = "${toString entry.file}, via inventory.services.${module}.${instance}";
          fromDirectory = m: if builtins.isString m then directory + "/${m}" else m;
          machineData = data.machines.${name} or { };
          extraModules =
            (data.extraModules or [ ])
            ++ (machineData.extraModules or [ ])
            ++ lib.concatMap (r: data.roles.${r}.extraModules or [ ]) entry.roles;
          layers =
            [
              {
                at = "config";
                value = data.config or { };
              }
              {
                at = "machines.${name}.config";
                value = machineData.config or { };
              }
            ]
            ++ map (r: {
              at = "roles.${r}.config";
              value = data.roles.${r}.config or { };
            }) entry.roles;
        in
        if data.module != module then
          throw "inventory-gen: ${toString entry.file} is legacy module '${data.module}', but machines/${name}.nix names it as '${module}'. The generated files are out of date: run `inventory-gen`."
        else if actual != entry.roles then
          throw ''
            inventory-gen: machines/${name}.nix gives '${name}' the roles
            ${builtins.toJSON entry.roles} in legacy instance '${module}.${instance}', but
            ${toString entry.file} makes it a member of ${builtins.toJSON actual}.
            The generated files are out of date: run `inventory-gen`.
          ''
        else
          {
            imports =
              map (r: data.roles.${r}.file) entry.roles
              ++ map (m: at "${via}.extraModules" (fromDirectory m)) extraModules
              ++ [
                (at via {
                  clan.inventory.services.${module}.${instance}.roles = lib.mapAttrs (_: r: {
                    inherit (r) machines;
                  }) data.roles;
                })
              ]
              ++ map (l: at "${via}.${l.at}" { clan.${module} = l.value; }) (
                lib.filter (l: l.value != { }) layers
              );
          };

      legacy =
        name: services:
        lib.optionals (services != null) (
          [ legacyOptions ]
          ++ lib.concatLists (
            lib.mapAttrsToList (
              module: instances: lib.mapAttrsToList (legacyInstance name module) instances
            ) services
          )
        );

      machine =
        {
          name,
          class,
          instances,
          services,
        }:
        let
          # A stub's instances take `lib` when its entries hold settings (for `lib.mkForce` …), and
          # `inputs` too when those hold code carried from the flake (`inputs.self.packages…`).
          stubInstances =
            if builtins.isFunction instances then
              instances (builtins.intersectAttrs (builtins.functionArgs instances) { inherit lib inputs; })
            else
              instances;
          loaded = lib.mapAttrs (
            instance: entry:
            let
              # Instance names are file names (inventory-gen checks them).
              inherit (load instance) file data;
              roles = lib.attrNames entry;
              stale = what: ''
                inventory-gen: machines/${name}.nix gives '${name}' the roles
                ${builtins.toJSON roles} in instance '${instance}', but
                ${toString file} ${what}.
                The generated files are out of date: run `inventory-gen`.
              '';
              undefined = lib.filter (r: !(data.roles ? ${r})) roles;
              # Every role's members, from the instance's members file: only read when a service
              # looks at the other members, and then checked against the stub.
              members =
                let
                  actual = lib.filter (r: data.members.${r} ? ${name}) (lib.attrNames data.members);
                in
                if actual == roles then
                  data.members
                else
                  throw (stale "makes it a member of ${builtins.toJSON actual}");
            in
            if undefined == [ ] then
              {
                inherit
                  instance
                  file
                  data
                  roles
                  members
                  ;
                # This machine's entries of the roles' members.
                inherit entry;
              }
            else
              throw (stale "defines no role ${builtins.toJSON undefined}")
          ) stubInstances;
          groups = lib.groupBy (m: serviceKey m.data.module) (lib.attrValues loaded);
          order = lib.sort (byLabel groups) (lib.attrNames groups);
        in
        map (
          k:
          applyService {
            inherit name class;
            members = groups.${k};
          }
        ) order
        ++ legacy name services;
    in
    machine;
  runtime = {
    inherit machine index;
  };

  # The index's `machines` and `modules` from every machine's class. The rest of a machine's
  # information (tags, deploy, description) is read from its stub, called with a `machine` that
  # returns its arguments, only when asked for: listing the machines and their classes reads no
  # stub, and evaluating one machine reads only its own.
  index = stub: classes: {
    machines = builtins.mapAttrs (
      name: class:
      let
        data = stub name { machine = arguments: arguments; };
      in
      {
        inherit class;
        inherit (data) tags;
        deploy = {
          buildHost = null;
          forwardAgent = null;
          targetHost = null;
        }
        // data.deploy or { };
        description = data.description or null;
      }
    ) classes;
    modules = builtins.mapAttrs (name: _: stub name runtime) classes;
    # The inventory's meta, for clan's settings of every machine (`lib.mkConfigurations`).
    inherit meta;
  };

  machine =
    {
      name,
      class,
      instances,
      services ? null,
      # Read by `index`, not here.
      tags ? [ ],
      deploy ? { },
      description ? null,
    }:
    if class != "nixos" && class != "darwin" then
      throw "inventory-gen: machine '${name}' has class '${class}', not \"nixos\" or \"darwin\"."
    else
      { lib, ... }:
      {
        _class = class;
        _file = "inventory-gen: inventory module of machine '${name}'";
        imports = withLib lib {
          inherit
            name
            class
            instances
            services
            ;
        };
      };
in
runtime
