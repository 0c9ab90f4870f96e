# inventory-gen runtime: applies clan.service modules to one machine, with clan-core's semantics.
# `import ./runtime.nix { inputs, directory, meta }` gives `{ machine, index }`; the generated stub
# `machines/<m>.nix` calls `machine { name, class, tags, deploy?, description?, instances }`
# (`instances.<i>.<r>` for every role the machine holds in instance `i`, being the machine's own
# entry `{ settings?, tags? }` of the role's members; `instances` is a function of `{ lib }` when
# entries hold settings; the instance's file is `instances/<i>.nix` beside this file) and gets
# the machine's whole inventory module. `index stub classes` is what `default.nix` returns. For each
# service, keyed by the pair (module.input, module.name), it evaluates the `clan.service` module
# once (`class = "clan.service"`, specialArgs `clanLib`, `directory`, `exports = { }`, `meta`),
# evaluates each membership's settings, runs `perInstance` per (instance, role, machine) and
# `perMachine` per (service, machine) with clan-core's arguments, and imports their
# `nixosModule`s (class "nixos") or `darwinModule`s (class "darwin") plus each membership's
# `extraModules`, in clan-core's order.
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
# Not provided: clanLib (throws when used), exports (always `{ }`), clan-core's JSON-schema
# assertions; a service's `config.instances` holds only this machine's instances. Role-description
# and readme warnings are added to NixOS machines when the importing system declares `warnings`.
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

  clanLib = throw ''
    inventory-gen does not provide clanLib: this clan.service module uses `clanLib`, which only
    clan-core's own evaluation has. Use a service that needs only `lib`, or let clan-core build
    this machine.
  '';

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
          id = label spec;
          what = "clan.service module ${canonical spec}";
          instances = lib.listToAttrs (map (m: lib.nameValuePair m.instance m) members);

          service =
            (lib.evalModules {
              class = "clan.service";
              prefix = [ id ];
              specialArgs = {
                inherit clanLib directory meta;
                exports = { };
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
              ];
            }).config;

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

          # Lazily memoised settings evaluations of every role and member of each instance. This
          # machine's own come from its stub (`self`); the other members' only when a service
          # looks at them, which reads the instance's members file.
          evals = lib.mapAttrs (
            instance: m:
            let
              eval = evalSettings instance m.file m.data;
              self = lib.mapAttrs (role: eval role name) m.self;
            in
            lib.mapAttrs (role: _: {
              role = eval role null { };
              self = self.${role};
              machines = lib.mapAttrs (
                machine: entry: if machine == name then self.${role} else eval role machine entry
              ) m.members.${role};
            }) m.data.roles
          ) instances;

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

          perInstance =
            instance: role:
            let
              final = evals.${instance}.${role}.self;
            in
            (lib.evalModules {
              specialArgs = {
                instanceName = instance;
                settings = final.config;
                extendSettings =
                  modules: (final.extendModules { modules = lib.toList modules; }).config;
                machine = {
                  inherit name;
                  inherit (instances.${instance}) roles;
                };
                roles = views.${instance};
                inherit meta;
                exports = { };
                mkExports = v: { "${service.manifest.name}:${instance}:${role}:${name}" = v; };
              };
              modules = [
                resultOptions
                (at "${what}: roles.${role}.perInstance" service.roles.${role}.perInstance)
              ];
            }).config;

          perMachine =
            (lib.evalModules {
              specialArgs = {
                machine = {
                  inherit name;
                  roles = lib.unique (lib.sort lib.lessThan (lib.concatMap (m: m.roles) members));
                };
                instances = lib.mapAttrs (instance: _: { roles = views.${instance}; }) instances;
                inherit meta;
                exports = { };
                mkExports = v: { "${service.manifest.name}:::${name}" = v; };
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
            ++ [ (at "${what}: perMachine, machine '${name}'" perMachine.${attr}) ]
            ++ map (
              { instance, role }:
              let
                via = "inventory.instances.${instance}.roles.${role}";
              in
              at "${what}: ${via}, machine '${name}'" {
                imports = [
                  (at "${what}: roles.${role}.perInstance, instance '${instance}'" (
                    perInstance instance role
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
          # A stub's instances take `lib` when its entries hold settings (for `lib.mkForce` …).
          stubInstances = if builtins.isFunction instances then instances { inherit lib; } else instances;
          loaded = lib.mapAttrs (
            instance: entry:
            let
              # Instance names are file names (inventory-gen checks them).
              file = ./instances + "/${instance}.nix";
              data = import file { inherit lib inputs; };
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
                self = entry;
              }
            else
              throw (stale "defines no role ${builtins.toJSON undefined}")
          ) stubInstances;
          # Services are keyed by the pair (input, name), which is injective.
          key =
            m:
            builtins.toJSON [
              (m.data.module.input or null)
              m.data.module.name
            ];
          groups = lib.groupBy key (lib.attrValues loaded);
          order = lib.sort (
            a: b:
            let
              la = label (builtins.head groups.${a}).data.module;
              lb = label (builtins.head groups.${b}).data.module;
            in
            la < lb || (la == lb && a < b)
          ) (lib.attrNames groups);
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
