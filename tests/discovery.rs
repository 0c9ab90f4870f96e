//! Discovery: every way a flake reaches its clan config is followed, and a part of the flake
//! that may define the clan config but cannot be followed is an error at its span — never a
//! run that succeeds on what it could read (machines/<name>/ and inventory.json included).
//!
//! Each form has a flake that reads exactly (`eval` prints the instances it defines) and,
//! where the form can hide a definition, a broken variant that must fail with the reason.

mod common;

use assert_cmd::Command;
use std::path::Path;

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn eval(files: &[(&str, &str)]) -> Run {
    let temp = tempfile::tempdir().expect("tempdir");
    write(temp.path(), files);
    let out = Command::cargo_bin("inventory-gen")
        .expect("binary")
        .env("NO_COLOR", "1")
        .args(["eval", "--flake"])
        .arg(temp.path())
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The instance names and machine names `eval` read.
fn read(files: &[(&str, &str)]) -> (Vec<String>, Vec<String>) {
    let run = eval(files);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let keys = |k: &str| -> Vec<String> {
        json[k]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    (keys("instances"), keys("machines"))
}

/// The run fails, prints no inventory, and says what it could not follow, where.
fn refused(files: &[(&str, &str)], code: &str, words: &str, at: &str) {
    let mut all = files.to_vec();
    // What would make a partial read look complete: both must not rescue the run.
    all.push(("machines/jon/configuration.nix", "{ }\n"));
    all.push(("inventory.json", "{ \"machines\": { \"sara\": { } } }\n"));
    let run = eval(&all);
    assert_eq!(run.code, 1, "must fail:\n{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.is_empty(),
        "printed an inventory: {}",
        run.stdout
    );
    assert!(
        run.stderr.contains(&format!("error[{code}]")),
        "no {code} error:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains(words), "no `{words}`:\n{}", run.stderr);
    assert!(
        run.stderr.contains(at),
        "not located at {at}:\n{}",
        run.stderr
    );
}

const CLAN_CALL: &str = r#"self:
let
  inherit (self.inputs) clan-core;
in
clan-core.lib.clan {
  inherit self;
  modules.svc = { roles.peer = { }; };
  inventory = {
    machines.jon = { };
    instances.mesh = {
      module.name = "svc";
      roles.peer.machines.jon = { };
    };
  };
}
"#;

#[test]
fn one_argument_mkflake_with_flake_let_and_an_applied_import() {
    let flake = r#"{
  outputs =
    inputs@{ adios-flake, self, ... }:
    adios-flake.lib.mkFlake {
      inherit inputs self;
      modules = [ ./checks/flake-module.nix ];
      flake =
        let
          clan = import ./machines/inventory.nix self;
        in
        {
          inherit (clan.config) nixosConfigurations;
          clan = clan.config;
        };
    };
}
"#;
    let files = [
        ("flake.nix", flake),
        ("machines/inventory.nix", CLAN_CALL),
        (
            "checks/flake-module.nix",
            "{ lib, self, ... }: { checks = lib.mapAttrs (_: c: c) self.nixosConfigurations; }\n",
        ),
    ];
    let (instances, machines) = read(&files);
    assert_eq!(instances, ["mesh"]);
    assert_eq!(machines, ["jon"]);
}

#[test]
fn two_argument_mkflake_clan_option_and_flake_attribute() {
    let flake = r#"{
  outputs =
    inputs:
    inputs.flake-parts.lib.mkFlake { inherit inputs; } {
      imports = [ ./clan.nix inputs.clan-core.flakeModules.default ];
      flake =
        let
          other = inputs.clan-core.lib.clan {
            inventory.instances.web = {
              module.name = "svc";
              roles.peer.machines.jon = { };
            };
          };
        in
        {
          inherit (other.config) darwinConfigurations;
        };
    };
}
"#;
    let clan = r#"{ inputs, ... }:
{
  clan = {
    modules.svc = { roles.peer = { }; };
    inventory.machines.jon = { };
    inventory.instances.mesh = {
      module.name = "svc";
      roles.peer.machines.jon = { };
    };
  };
}
"#;
    let (instances, _) = read(&[("flake.nix", flake), ("clan.nix", clan)]);
    assert_eq!(instances, ["mesh", "web"]);
}

#[test]
fn a_flake_attribute_that_cannot_be_evaluated_is_an_error() {
    let flake = r#"{
  outputs =
    inputs@{ adios-flake, self, ... }:
    adios-flake.lib.mkFlake {
      inherit inputs self;
      flake = if inputs.nixpkgs.lib.inPureEvalMode then import ./machines/inventory.nix self else { };
    };
}
"#;
    refused(
        &[("flake.nix", flake), ("machines/inventory.nix", CLAN_CALL)],
        "not-static",
        "cannot follow the framework's `flake` attribute",
        "flake.nix:",
    );
}

#[test]
fn a_clan_call_the_reader_never_reached_is_an_error() {
    // The output that leads to the call stops on an unknown value before the call.
    let flake = r#"{
  outputs = inputs: {
    nixosConfigurations = (import ./clan.nix inputs).config.nixosConfigurations;
  };
}
"#;
    let clan = r#"inputs:
let hosts = (import ./hosts.nix).servers; in
assert hosts != { };
inputs.clan-core.lib.clan {
  inventory.machines = hosts;
}
"#;
    refused(
        &[
            ("flake.nix", flake),
            ("clan.nix", clan),
            ("hosts.nix", "{ server = { jon = { }; }; }\n"),
        ],
        "not-static",
        "this call of `clan` was not followed",
        "clan.nix:4:",
    );
}

#[test]
fn a_wrapper_of_the_users_own_named_like_a_clan_call_is_followed() {
    // The seed documents' form: `buildClan` is a local function around clan-core's, and its
    // call is reached by evaluating it, not recorded as a call of an unknown function.
    let flake = r#"{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  outputs = { self, clan-core, ... }:
    let
      buildClan = args: clan-core.lib.buildClan ({ directory = self; } // args);
    in
    buildClan {
      inventory.machines.jon = { };
      inventory.instances.mesh.roles.peer.machines.jon = { };
    };
}
"#;
    let (instances, machines) = read(&[("flake.nix", flake)]);
    assert_eq!(instances, ["mesh"]);
    assert_eq!(machines, ["jon"]);
}

#[test]
fn the_store_copy_of_a_path_names_the_same_files() {
    // `"${./dir}/x"` and `"${self}/x"` are strings of a path's copy in the store: importing,
    // reading or listing them reads the flake's own files.
    let flake = r#"{
  outputs = { self, ... }: {
    inventory = import "${./sub}/inv.nix" // {
      tags.listed = builtins.attrNames (builtins.readDir "${self}/sub/machines");
    };
  };
}
"#;
    let run = eval(&[
        ("flake.nix", flake),
        (
            "sub/inv.nix",
            "{ machines.jon = { }; machines.sara = { }; instances.x.roles.r.machines.jon = { }; }\n",
        ),
        ("sub/machines/jon", ""),
        ("sub/machines/sara", ""),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(json["tags"]["listed"], serde_json::json!(["jon", "sara"]));
    assert!(json["instances"]["x"].is_object(), "{}", run.stdout);
}

#[test]
fn an_applied_import_of_a_file_that_cannot_be_read_is_an_error() {
    let flake = r#"{
  outputs = inputs@{ self, ... }: {
    clan = (import ./machines/inventoyr.nix self).config;
  };
}
"#;
    refused(
        &[("flake.nix", flake), ("machines/inventory.nix", CLAN_CALL)],
        "missing-file",
        "cannot follow",
        "flake.nix:3:",
    );
}

#[test]
fn a_computed_imports_list_is_an_error() {
    let flake = r#"{
  outputs =
    inputs:
    inputs.flake-parts.lib.mkFlake { inherit inputs; } {
      imports = inputs.import-tree ./modules;
    };
}
"#;
    refused(
        &[
            ("flake.nix", flake),
            (
                "modules/clan.nix",
                "{ clan.inventory.machines.jon = { }; }\n",
            ),
        ],
        "not-static",
        "cannot follow this `imports` list",
        "flake.nix:5:",
    );
}

#[test]
fn a_computed_module_in_imports_is_an_error() {
    let flake = r#"{
  outputs =
    inputs:
    inputs.flake-parts.lib.mkFlake { inherit inputs; } {
      imports = [ (inputs.import-tree ./modules) ];
    };
}
"#;
    refused(
        &[
            ("flake.nix", flake),
            (
                "modules/clan.nix",
                "{ clan.inventory.machines.jon = { }; }\n",
            ),
        ],
        "not-static",
        "computed by `inputs.import-tree …`",
        "flake.nix:5:",
    );
}

#[test]
fn a_clan_option_that_cannot_be_read_is_an_error() {
    let flake = r#"{
  outputs =
    inputs:
    inputs.flake-parts.lib.mkFlake { inherit inputs; } {
      clan = inputs.self.lib.mkClan ./clan;
    };
}
"#;
    refused(
        &[("flake.nix", flake)],
        "wrong-type",
        "expected the clan configuration",
        "flake.nix:5:",
    );
}

#[test]
fn outputs_that_cannot_be_read_do_not_leave_machine_directories_alone() {
    // No clan config could be found in the Nix code, which could not be read completely:
    // machines/<name>/ and inventory.json alone must not make the run succeed.
    let flake = r#"{
  outputs = inputs: {
    nixosConfigurations = import ./hosts.nix inputs;
  };
}
"#;
    refused(
        &[("flake.nix", flake), ("hosts.nix", "inputs: [ \"jon\" ")],
        "syntax",
        "cannot follow",
        "hosts.nix:",
    );
}

/// The committed fixture `tests/cases/carried-code`: what the reader cannot know but
/// membership does not need is carried as code, and real Nix evaluates it with the flake's
/// inputs bound (`self` as `inputs.self`).
#[test]
fn carried_code_evaluates_in_nix_with_the_inputs_bound() {
    let dir = common::repo_root().join("tests/cases/carried-code/generated/inventory/instances");
    let expr = r#"let
  i = import ./hello.nix {
    lib = { };
    inputs = {
      home-manager.nixosModules = { home-manager = "hm"; default = "hm-default"; };
      self.nixosModules.base = "base";
    };
  };
in
{
  service = i.service.manifest.name;
  extraModules = map (m: if builtins.isFunction m then (m { }).imports else baseNameOf m) i.roles.default.extraModules;
}"#;
    let got = common::nix_eval_json(&dir, expr).expect("evaluates");
    assert_eq!(
        got,
        serde_json::json!({
            "service": "greeter",
            "extraModules": ["hm", "base", ["hm-default"], "users.nix"],
        })
    );
}

#[test]
fn eval_marks_carried_code() {
    let dir = common::repo_root().join("tests/cases/carried-code");
    let out = Command::cargo_bin("inventory-gen")
        .expect("binary")
        .args(["eval", "--flake"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let extra = &json["instances"]["hello"]["roles"]["default"]["extraModules"];
    assert_eq!(
        extra[0],
        serde_json::json!({ "$nix": "inputs.home-manager.nixosModules.home-manager" })
    );
    // `self` is the flake: its output `nixosModules.base` uses an input, so it is carried,
    // `self` bound to `inputs.self`.
    assert_eq!(
        extra[1],
        serde_json::json!({ "$nix": "(({ self }: self.nixosModules.base) { self = inputs.self; })" })
    );
}

#[test]
fn self_is_the_flake() {
    // `self.<output>` is read from the outputs where static; `self.inputs` are the inputs.
    let flake = r#"{
  inputs.hm.url = "github:nix-community/home-manager";
  outputs = inputs@{ self, hm, ... }: {
    nixosModules.base = ./modules/base.nix;
    hosts = builtins.fromJSON ''{ "jon": { }, "sara": { } }'';
    modules.mesh = { roles.peer = { }; };
    inventory = {
      machines = self.hosts;
      # `"${self}/x"` and `self + "/x"` are paths of the flake.
      imports = [ (import "${self}/more.nix") (self + "/more-too.nix") ];
      instances.vpn = {
        module.name = "mesh";
        roles.peer.machines = builtins.mapAttrs (_: _: { }) self.hosts;
        roles.peer.extraModules = [
          self.nixosModules.base
          self.inputs.hm.nixosModules.default
          (self + "/modules/base.nix")
          "${self}/modules/base.nix"
        ];
      };
    };
  };
}
"#;
    let temp = tempfile::tempdir().expect("tempdir");
    write(
        temp.path(),
        &[
            ("flake.nix", flake),
            ("modules/base.nix", "{ }\n"),
            ("more.nix", "{ machines.tim = { }; }\n"),
            ("more-too.nix", "{ machines.ute = { }; }\n"),
        ],
    );
    let out = Command::cargo_bin("inventory-gen")
        .expect("binary")
        .args(["eval", "--flake"])
        .arg(temp.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let root = temp.path().canonicalize().expect("root");
    assert_eq!(
        json["instances"]["vpn"]["roles"]["peer"],
        serde_json::json!({
            "machines": { "jon": {}, "sara": {} },
            "extraModules": [
                root.join("modules/base.nix").display().to_string(),
                { "$nix": "inputs.hm.nixosModules.default" },
                root.join("modules/base.nix").display().to_string(),
                root.join("modules/base.nix").display().to_string(),
            ],
        })
    );
    let machines: Vec<&String> = json["machines"]
        .as_object()
        .expect("machines")
        .keys()
        .collect();
    assert_eq!(machines, ["jon", "sara", "tim", "ute"]);
    // An output the flake does not define is missing, as in Nix.
    let missing = eval(&[(
        "flake.nix",
        "{ outputs = { self, ... }: { inventory.machines = self.hostz; hosts = { }; }; }\n",
    )]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("`hostz` is missing"),
        "{}",
        missing.stderr
    );
}

#[test]
fn carried_code_that_needs_inputs_is_refused_in_legacy_services() {
    // Legacy `services` files bind `lib` only: a module of an input cannot be carried there.
    let flake = r#"{
  inputs.hm.url = "github:nix-community/home-manager";
  outputs = inputs: {
    inventory = {
      machines.jon = { };
      modules.legacy = ./legacy;
      services.legacy.one = {
        roles.default.machines = [ "jon" ];
        roles.default.extraModules = [ inputs.hm.nixosModules.default ];
      };
    };
  };
}
"#;
    let run = eval(&[("flake.nix", flake), ("legacy/roles/default.nix", "{ }\n")]);
    // `eval` prints the inventory read (the module is carried as code) ...
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("\"$nix\": \"inputs.hm.nixosModules.default\"")
    );
    // ... but nothing that cannot parse is generated.
    let temp = tempfile::tempdir().expect("tempdir");
    write(
        temp.path(),
        &[("flake.nix", flake), ("legacy/roles/default.nix", "{ }\n")],
    );
    let out = Command::cargo_bin("inventory-gen")
        .expect("binary")
        .env("NO_COLOR", "1")
        .args(["generate", "--flake"])
        .arg(temp.path())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("legacy `services` files do not have"),
        "{stderr}"
    );
    assert!(!temp.path().join("generated").exists());
}

/// The committed fixture `tests/cases/carried-settings`: unknown values in role-, machine- and
/// tag-level settings are carried as code, and real Nix evaluates the instance file, the members
/// file and each machine's stub with stand-in inputs bound, giving the settings the flake meant.
#[test]
fn carried_settings_evaluate_in_nix_with_the_inputs_bound() {
    let dir = common::repo_root().join("tests/cases/carried-settings/generated/inventory");
    let expr = r#"let
  inputs = {
    fleet = {
      lib = {
        peers = [ "a" "b" ];
        mkTool = { name }: "tool-${name}";
      };
      packages.x86_64-linux.hello = "/store/hello";
    };
    self.packages.x86_64-linux = {
      hello = "/store/hello";
      helper = "/store/helper";
    };
  };
  lib = { };
  i = import ./instances/net.nix { inherit lib inputs; };
  stub = name: (import (./machines + "/${name}.nix") { machine = m: m; }).instances { inherit lib inputs; };
in
{
  role = i.roles.peer.settings;
  tag = i.roles.peer.tags.edge.settings;
  members = i.members;
  jon = stub "jon";
  sara = stub "sara";
}"#;
    let got = common::nix_eval_json(&dir, expr).expect("evaluates");
    let helper = serde_json::json!({ "settings": { "helper": "/store/helper" } });
    let sara = serde_json::json!({ "settings": { "package": "/store/hello", "port": 51820 } });
    assert_eq!(
        got,
        serde_json::json!({
            "role": {
                "interface": "wg0",
                "motd": "/store/hello/bin/hello",
                "tool": "tool-probe",
            },
            "tag": { "peers": ["a", "b"] },
            "members": {
                "hub": { "jon": helper },
                "peer": { "jon": { "tags": ["edge"] }, "sara": sara },
            },
            "jon": { "net": { "hub": helper, "peer": { "tags": ["edge"] } } },
            "sara": { "net": { "peer": sara } },
        })
    );
}

#[test]
fn eval_marks_carried_settings() {
    let dir = common::repo_root().join("tests/cases/carried-settings");
    let out = Command::cargo_bin("inventory-gen")
        .expect("binary")
        .env("INVENTORY_GEN_NO_NIX", "1")
        .args(["eval", "--flake"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let peer = &json["instances"]["net"]["roles"]["peer"];
    assert_eq!(
        peer["tags"]["edge"]["settings"]["peers"],
        serde_json::json!({ "$nix": "inputs.fleet.lib.peers" })
    );
    // A string built from an unknown value is carried whole, never as the value it came from.
    assert_eq!(
        peer["settings"]["motd"],
        serde_json::json!({
            "$nix": "(({ self }: \"${self.packages.x86_64-linux.hello}/bin/hello\") { self = inputs.self; })"
        })
    );
    // Membership stays data.
    assert_eq!(json["machines"]["jon"]["tags"], serde_json::json!(["edge"]));
    assert_eq!(
        peer["machines"]["sara"]["settings"]["port"],
        serde_json::json!(51820)
    );
}

#[test]
fn a_value_computed_from_an_input_is_carried_whole_never_as_the_input() {
    // `"${inputs.hm}/nixos"` is a string made from the input, not the input: carried as it is
    // written, as is what an input's function returns.
    let flake = r#"{
  inputs.hm.url = "github:nix-community/home-manager";
  outputs = inputs: {
    modules.svc = { _class = "clan.service"; manifest.name = "svc"; roles.peer = { }; };
    inventory = {
      machines.jon = { };
      instances.mesh = {
        module.name = "svc";
        roles.peer.machines.jon = { };
        roles.peer.extraModules = [ "${inputs.hm}/nixos" (inputs.hm.lib.mkModule { x = 1; }) ];
      };
    };
  };
}
"#;
    let temp = tempfile::tempdir().expect("tempdir");
    write(temp.path(), &[("flake.nix", flake)]);
    let out = Command::cargo_bin("inventory-gen")
        .expect("binary")
        .env("INVENTORY_GEN_NO_NIX", "1")
        .args(["eval", "--flake"])
        .arg(temp.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        json["instances"]["mesh"]["roles"]["peer"]["extraModules"],
        serde_json::json!([
            { "$nix": "\"${inputs.hm}/nixos\"" },
            { "$nix": "(inputs.hm.lib.mkModule { x = 1; })" },
        ])
    );
}

#[test]
fn computed_imports_are_followed() {
    // A flake-parts `imports` list computed from the flake's own directory.
    let flake = r#"{
  outputs =
    inputs:
    inputs.flake-parts.lib.mkFlake { inherit inputs; } {
      imports = map (f: ./modules + "/${f}") (
        builtins.filter (f: builtins.match ".*\\.nix" f != null) (
          builtins.attrNames (builtins.readDir ./modules)
        )
      );
    };
}
"#;
    let (instances, machines) = read(&[
        ("flake.nix", flake),
        (
            "modules/clan.nix",
            "{ clan.modules.svc = { roles.peer = { }; }; clan.inventory.machines.jon = { }; }\n",
        ),
        (
            "modules/mesh.nix",
            "{ clan.inventory.instances.mesh = { module.name = \"svc\"; roles.peer.machines.jon = { }; }; }\n",
        ),
        ("modules/README.md", "not a module\n"),
    ]);
    assert_eq!(instances, ["mesh"]);
    assert_eq!(machines, ["jon"]);
}

#[test]
fn clan_config_module_functions_get_self_and_inputs() {
    let flake = r#"{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  outputs =
    inputs@{ self, clan-core, ... }:
    let
      clan = clan-core.lib.clan {
        inherit self;
        imports = [ ./clan.nix ];
      };
    in
    {
      inherit (clan.config) nixosConfigurations;
      hosts = [ "jon" "sara" ];
    };
}
"#;
    let clan = r#"{ self, inputs, lib, config, ... }:
{
  modules.svc = { roles.peer = { }; };
  inventory.machines = lib.genAttrs self.hosts (_: { });
  inventory.instances.mesh = {
    module.name = "svc";
    roles.peer.tags.all = { };
    roles.peer.extraModules = [ inputs.clan-core.nixosModules.default ];
  };
}
"#;
    let (instances, machines) = read(&[("flake.nix", flake), ("clan.nix", clan)]);
    assert_eq!(instances, ["mesh"]);
    assert_eq!(machines, ["jon", "sara"]);
}
