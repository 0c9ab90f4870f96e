#!/usr/bin/env python3
"""One machine's Nix evaluation with clan-core's exports-reading services, inventory-gen against
clan-core, at several fleet sizes.

`gen` writes a fleet of N NixOS machines using clan-core's real services: `internet` (two
servers with a host), `mycelium` (every machine a peer, its address a public var), `yggdrasil`
(every machine; its peers come from the exports of internet and mycelium, so evaluating one
machine reads every exporting service's exports of the whole fleet), and `sshd` (every machine a
server; exports nothing). Machine `m0000` is in all four; machine `lone` is in sshd only.

`run` generates each fleet with inventory-gen, then times (median wall time of --runs runs, plus
the evaluator's thunk count from NIX_SHOW_STATS) the evaluation of ONE machine, observed with
the shared harness (`../shared/examples/real-services/observe-real.nix`, every value forced):
  - ours:      the generated module (tests/nix/clan-services/ours.nix, `machine = …`);
  - clan-core: clan-core's own evaluation of the same fleet (tests/nix/clan-services/oracle.nix,
               clan-core's `lib.clan` from `<clan-core>`), the same machine.
Both sides compute the same configuration (tests/clan_services.rs checks that on small fleets).

Usage (repository root, after `cargo build --release`; NIX_PATH with nixpkgs and clan-core):
  python3 benches/exports.py run [--sizes 100,1000] [--runs 3] [--bin target/release/inventory-gen]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "tests/nix/clan-services"
OBSERVE = (ROOT / "../shared/examples/real-services/observe-real.nix").resolve()

FLAKE = """{
  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  outputs =
    { self, clan-core, ... }:
    let
      clan = clan-core.lib.clan {
        inherit self;
        imports = [ ./clan.nix ];
      };
    in
    {
      inherit (clan.config) nixosConfigurations;
    };
}
"""


def gen(n: int, out: Path) -> None:
    names = [f"m{i:04d}" for i in range(n - 1)] + ["lone"]
    lines = ["{", '  meta.name = "bench";', "  inventory = {", "    machines = {"]
    for m in names:
        tags = '"mesh"' if m != "lone" else ""
        lines.append(f"      {m}.tags = [ {tags} ];")
    lines += [
        "    };",
        "    instances = {",
        '      internet = { module = { name = "internet"; input = "clan-core"; };',
        '        roles.default.machines.m0000.settings.host = "m0000.example.com";',
        '        roles.default.machines.m0001.settings.host = "2001:db8::1"; };',
        '      mycelium = { module = { name = "mycelium"; input = "clan-core"; };',
        "        roles.peer.tags.mesh = { }; };",
        '      yggdrasil = { module = { name = "yggdrasil"; input = "clan-core"; };',
        "        roles.default.tags.mesh = { }; };",
        '      sshd = { module = { name = "sshd"; input = "clan-core"; };',
        "        roles.server.tags.all = { }; };",
        "    };",
        "  };",
        "}",
    ]
    out.mkdir(parents=True, exist_ok=True)
    (out / "flake.nix").write_text(FLAKE)
    (out / "clan.nix").write_text("\n".join(lines) + "\n")
    for i, m in enumerate(names):
        if m == "lone":
            continue
        d = out / "vars/per-machine" / m / "mycelium/ip"
        d.mkdir(parents=True, exist_ok=True)
        (d / "value").write_text(f"fd00:{i // 65536:x}:{i % 65536:x}::1")


def timed(args, cwd):
    env = dict(os.environ, NIX_SHOW_STATS="1", NIX_SHOW_STATS_PATH="/dev/stderr")
    start = time.perf_counter()
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{p.stderr[-3000:]}")
    thunks = None
    try:
        stats = json.loads(p.stderr[p.stderr.index("{") :])
        thunks = stats.get("nrThunks")
    except (ValueError, KeyError):
        pass
    return wall, thunks, p.stdout


def one(side: str, flake: Path, machine: str):
    args = ["nix-instantiate", "--eval", "--strict", "--json"]
    if side == "ours":
        args += ["ours.nix", "--argstr", "generated", str(flake / "generated/inventory")]
    else:
        args += ["oracle.nix"]
    args += ["--argstr", "dir", str(flake), "--arg", "observe", str(OBSERVE)]
    args += ["--argstr", "machine", machine]
    return timed(args, HERE)


def run(sizes, runs, binary):
    print("| machines | machine | inventory-gen (s) | thunks | clan-core (s) | thunks | same result |")
    print("|---:|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            flake = Path(tmp) / f"fleet-{n}"
            gen(n, flake)
            subprocess.run([binary, "generate", "--flake", str(flake)], check=True, capture_output=True)
            for machine in ["m0000", "lone"]:
                res = {}
                for side in ["ours", "clan-core"]:
                    walls, thunks, out = [], None, None
                    for _ in range(runs):
                        w, thunks, out = one(side, flake, machine)
                        walls.append(w)
                    res[side] = (statistics.median(walls), thunks, json.loads(out))
                same = res["ours"][2] == res["clan-core"][2]
                print(
                    f"| {n} | {machine} | {res['ours'][0]:.2f} | {res['ours'][1]} "
                    f"| {res['clan-core'][0]:.2f} | {res['clan-core'][1]} | {'yes' if same else 'NO'} |",
                    flush=True,
                )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--sizes", default="100,1000")
    r.add_argument("--runs", type=int, default=3)
    r.add_argument("--bin", default=str(ROOT / "target/release/inventory-gen"))
    g = sub.add_parser("gen")
    g.add_argument("--machines", type=int, required=True)
    g.add_argument("dir")
    a = ap.parse_args()
    if a.cmd == "gen":
        gen(a.machines, Path(a.dir))
    else:
        run([int(s) for s in a.sizes.split(",")], a.runs, a.bin)


if __name__ == "__main__":
    main()
