#!/usr/bin/env python3
"""Benchmarks for inventory-gen: a generator of synthetic fleets and a runner that times the tool.

`gen` writes a synthetic flake: `flake.nix` calling `clan-core.lib.clan { imports = [ ./clan.nix ]; }`,
one inventory file `clan.nix` with N machines (2-3 tags each from a pool of 7, some with a deploy
target or a description) and M instances of the local two-role `clan.service` module
`services/svc` (role `server` by two named machines, role `client` by one tag plus a few named
machines; role-level settings on both roles, machine-level settings on some members). Machine 0
(`m0…0`) has the same memberships at every N, so its per-machine evaluation can be compared.

`run` times, for each size and interleaved so that noise hits all of them alike, the floor
`nix-instantiate --parse clan.nix`, a cold `inventory-gen generate` (empty output directory), a
no-op regeneration (which must change no file: mtimes, inodes and the tool's report are checked)
and `inventory-gen check`, and the cost of creating the same files from the runner itself (a
second floor, for cold runs); the previous output is moved aside (not deleted) before each cold
run, see below. It prints medians of wall time and peak RSS (from wait4) as Markdown, the
20000 × 5 figures against a projection linear in N × M from 5000 × 50 and against their floor,
and the median stage durations (INVENTORY_GEN_TIMINGS) of cold and no-op runs made apart.

`eval` measures the Nix evaluation cost of ONE machine's generated module (machine 0, through
the index as `lib.mkConfigurations` does it, and through its stub alone) under `lib.evalModules`,
at several N: wall time (median) and the evaluator's own counters (NIX_SHOW_STATS).

Usage (from the repository root, after `cargo build --release`):
  python3 benches/bench.py run  [--sizes 100x5,1000x50,5000x50,20000x5] [--runs 5] [--bin B] [--keep]
  python3 benches/bench.py eval [--sizes 100x50,5000x50] [--runs 5]   # needs NIX_PATH=nixpkgs=…
  python3 benches/bench.py gen --machines N --instances M DIR
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TAGS = ["web", "db", "edge", "backup", "monitor", "eu", "us"]
REPO = Path(__file__).resolve().parent.parent

FLAKE_NIX = """\
{
  description = "Synthetic inventory-gen benchmark fleet";
  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  inputs.nixpkgs.follows = "clan-core/nixpkgs";
  outputs =
    { self, clan-core, ... }:
    clan-core.lib.clan {
      inherit self;
      imports = [ ./clan.nix ];
    };
}
"""

SERVICE_NIX = """\
# Synthetic clan.service module of the benchmark: two roles with typed settings.
{ ... }:
{
  _class = "clan.service";
  manifest.name = "svc";
  manifest.readme = "Synthetic benchmark service.";
  roles.server = {
    description = "Serves the instance.";
    interface =
      { lib, ... }:
      {
        options.port = lib.mkOption {
          type = lib.types.port;
          default = 8000;
        };
        options.replicas = lib.mkOption {
          type = lib.types.int;
          default = 1;
        };
      };
    perInstance =
      { instanceName, settings, ... }:
      {
        nixosModule.bench.${instanceName}.server = {
          inherit (settings) port replicas;
        };
      };
  };
  roles.client = {
    description = "Uses the instance.";
    interface =
      { lib, ... }:
      {
        options.endpoint = lib.mkOption {
          type = lib.types.str;
          default = "localhost";
        };
        options.interval = lib.mkOption {
          type = lib.types.int;
          default = 60;
        };
        options.labels = lib.mkOption {
          type = lib.types.attrsOf lib.types.str;
          default = { };
        };
      };
    perInstance =
      { instanceName, settings, ... }:
      {
        nixosModule.bench.${instanceName}.client = {
          inherit (settings) endpoint interval labels;
        };
      };
  };
}
"""


def machine_names(n):
    width = len(str(n - 1))
    return [f"m{i:0{width}d}" for i in range(n)]


def generate_flake(directory, n, m, seed=1):
    """Writes the synthetic flake of n machines and m instances into `directory`."""
    rng = random.Random(seed)
    names = machine_names(n)
    out = ["{", '  meta.name = "bench";', "  modules.svc = ./services/svc;", "  inventory = {"]
    out.append("    machines = {")
    for i, name in enumerate(names):
        tags = ["web", "eu"] if i == 0 else rng.sample(TAGS, rng.choice([2, 3]))
        out.append(f"      {name} = {{")
        out.append("        tags = [")
        out.extend(f'          "{t}"' for t in tags)
        out.append("        ];")
        if i % 4 == 1:
            out.append(f'        deploy.targetHost = "root@{name}.bench.example";')
        if i % 10 == 3:
            out.append(f'        description = "Machine {name} of the benchmark fleet";')
        out.append("      };")
    out.append("    };")
    out.append("    instances = {")
    others = names[1:] or names
    for j in range(m):
        iname = f"svc{j:03d}"
        servers = rng.sample(others, min(2, len(others)))
        clients = rng.sample(others, min(3, len(others)))
        out.append(f"      {iname} = {{")
        out.append("        module = {")
        out.append('          name = "svc";')
        out.append('          input = "self";')
        out.append("        };")
        out.append(f"        roles.server.machines.{servers[0]}.settings.port = {9000 + j};")
        for s in servers[1:]:
            out.append(f"        roles.server.machines.{s} = {{ }};")
        out.append("        roles.server.settings.replicas = 2;")
        out.append(f'        roles.client.tags = [ "{TAGS[j % len(TAGS)]}" ];')
        out.append("        roles.client.settings = {")
        out.append(f'          endpoint = "{iname}.bench.example";')
        out.append(f'          labels.instance = "{iname}";')
        out.append("        };")
        for k, c in enumerate(clients):
            out.append(f"        roles.client.machines.{c}.settings.interval = {10 + k};")
        out.append("      };")
    out.append("    };")
    out.append("  };")
    out.append("}")
    directory = Path(directory)
    (directory / "services" / "svc").mkdir(parents=True, exist_ok=True)
    (directory / "flake.nix").write_text(FLAKE_NIX)
    (directory / "services" / "svc" / "default.nix").write_text(SERVICE_NIX)
    (directory / "clan.nix").write_text(
        "# Synthetic inventory of the inventory-gen benchmark "
        f"({n} machines, {m} instances).\n" + "\n".join(out) + "\n"
    )
    return names


def timed(argv, stdout=subprocess.DEVNULL, env=None):
    """Runs argv; returns (wall seconds, peak RSS in MiB, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    return wall, usage.ru_maxrss / 1024.0, proc.returncode, err


def snapshot(directory):
    """path → (mtime_ns, inode, size) of every file below directory."""
    result = {}
    for root, _, files in os.walk(directory):
        for f in files:
            st = os.stat(os.path.join(root, f))
            result[os.path.join(root, f)] = (st.st_mtime_ns, st.st_ino, st.st_size)
    return result


def load_files(directory):
    """relative path → bytes of every file below directory."""
    result = {}
    for root, _, files in os.walk(directory):
        for f in files:
            path = os.path.join(root, f)
            with open(path, "rb") as handle:
                result[os.path.relpath(path, directory)] = handle.read()
    return result


def write_files(files, directory):
    """The file-creation floor: writes the given files into a new directory, each with one
    create, write and close and nothing else (no temporary name, no rename, no sync), in
    this process, so no process start is counted. Returns wall seconds."""
    start = time.perf_counter()
    made = set()
    for relative, data in sorted(files.items()):
        parent = os.path.dirname(os.path.join(directory, relative))
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        fd = os.open(os.path.join(directory, relative), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        os.close(fd)
    return time.perf_counter() - start


def fail(message):
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(1)


def parse_sizes(text):
    return [tuple(int(x) for x in s.split("x")) for s in text.split(",")]


def median(values):
    return statistics.median(values)


def run(args):
    binary = Path(args.bin).resolve()
    if not binary.is_file():
        fail(f"{binary} not found: run `cargo build --release` first")
    work = Path(tempfile.mkdtemp(prefix="inventory-gen-bench-", dir=args.dir))
    # Old outputs are moved here and deleted at the end: on ext4 without a journal, creating
    # files right after deleting thousands costs far more (the inode allocator skips recently
    # deleted inodes one by one), which would measure the benchmark, not the tool.
    trash = work / "trash"
    trash.mkdir()
    rows = []
    try:
        for n, m in parse_sizes(args.sizes):
            flake = work / f"fleet-{n}x{m}"
            generate_flake(flake, n, m)
            out = flake / "generated" / "inventory"
            floor_cmd = ["nix-instantiate", "--parse", str(flake / "clan.nix")]
            gen_cmd = [str(binary), "--flake", str(flake), "generate"]
            check_cmd = [str(binary), "--flake", str(flake), "check"]
            samples = {k: [] for k in ("floor", "cold", "noop", "check", "files")}
            files = 0
            contents = None
            for r in range(args.runs + 1):  # run 0 warms the page cache and is dropped
                row = {}
                row["floor"] = timed(floor_cmd)
                if out.exists():
                    out.rename(trash / f"{n}x{m}-{r}")
                row["cold"] = timed(gen_cmd)
                before = snapshot(out)
                with tempfile.TemporaryFile() as report:
                    row["noop"] = timed(gen_cmd, stdout=report)
                    report.seek(0)
                    text = report.read().decode()
                after = snapshot(out)
                row["check"] = timed(check_cmd)
                if contents is None:
                    contents = load_files(out)
                copy = trash / f"{n}x{m}-{r}-files"
                row["files"] = (write_files(contents, copy), 0.0, 0, "")
                for k, (_, _, code, err) in row.items():
                    if code != 0:
                        fail(f"{k} at {n}x{m} exited {code}: {err}")
                if before != after:
                    changed = [p for p in after if before.get(p) != after[p]]
                    fail(f"the no-op run at {n}x{m} touched {len(changed)} files, e.g. {changed[:3]}")
                if " 0 changed" not in text:
                    fail(f"the no-op run at {n}x{m} reported changes: {text[-300:]}")
                files = len(after)
                if r > 0:
                    for k, v in row.items():
                        samples[k].append(v)
            med = {k: (median([s[0] for s in v]), median([s[1] for s in v])) for k, v in samples.items()}
            stages = stage_times(gen_cmd, out, trash, n, m, args.runs)
            rows.append((n, m, files, med, stages))
            print(f"{n}x{m}: " + ", ".join(f"{k} {t * 1000:.0f} ms {rss:.0f} MiB" for k, (t, rss) in med.items()),
                  file=sys.stderr, flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"flakes kept in {work}", file=sys.stderr)
    print_table(rows, args.runs)


def stage_times(gen_cmd, out, trash, n, m, runs):
    """Median stage durations (INVENTORY_GEN_TIMINGS) of cold and no-op runs, measured apart."""
    env = dict(os.environ, INVENTORY_GEN_TIMINGS="1")
    found = {"cold": {}, "noop": {}}
    for r in range(runs):
        for kind in ("cold", "noop"):
            if kind == "cold" and out.exists():
                out.rename(trash / f"{n}x{m}-stages-{r}")
            _, _, _, err = timed(gen_cmd, env=env)
            for line in err.splitlines():
                parts = line.split()
                if len(parts) >= 3 and parts[0] == "timing:":
                    found[kind].setdefault(parts[1], []).append(float(parts[2]))
    return {kind: {stage: median(v) for stage, v in stages.items()} for kind, stages in found.items()}


def print_table(rows, runs):
    print(f"Median of {runs} runs; time in ms, peak RSS in MiB; ratios are to the parse floor of the same run.\n")
    print("| N × M | files | floor: `nix-instantiate --parse` | cold `generate` | no-op `generate` | `check` | cold / floor | no-op / floor |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for n, m, files, med, _ in rows:
        f, c, o, k = (med[x] for x in ("floor", "cold", "noop", "check"))
        print(f"| {n} × {m} | {files} | {f[0] * 1000:.0f} ms, {f[1]:.0f} MiB | {c[0] * 1000:.0f} ms, {c[1]:.0f} MiB"
              f" | {o[0] * 1000:.0f} ms, {o[1]:.0f} MiB | {k[0] * 1000:.0f} ms, {k[1]:.0f} MiB"
              f" | {c[0] / f[0]:.2f} | {o[0] / f[0]:.2f} |")
    print("\nCold runs against the cost of creating their files: `files` is the same files written into a")
    print("new directory by the runner itself (one create, write and close each; no temporary name, no")
    print("process start), interleaved with the runs above.\n")
    print("| N × M | files | file floor | parse + file floor | cold `generate` | cold / (parse + file floor) |")
    print("|---|---:|---:|---:|---:|---:|")
    for n, m, files, med, _ in rows:
        f, c, w = med["floor"][0], med["cold"][0], med["files"][0]
        print(f"| {n} × {m} | {files} | {w * 1000:.0f} ms | {(f + w) * 1000:.0f} ms | {c * 1000:.0f} ms | {c / (f + w):.2f} |")
    sizes = {(n, m): med for n, m, _, med, _ in rows}
    if (5000, 50) in sizes and (20000, 5) in sizes:
        base, big = sizes[(5000, 50)], sizes[(20000, 5)]
        scale = (20000 * 5) / (5000 * 50)
        print("\nLinear in N × M, projected from 5000 × 50:\n")
        for k in ("floor", "cold", "noop", "check"):
            projected = base[k][0] * scale
            print(f"- 20000 × 5 {k}: {big[k][0] * 1000:.0f} ms; projection {scale:g} × {base[k][0] * 1000:.0f} ms"
                  f" = {projected * 1000:.0f} ms; ratio {big[k][0] / projected:.2f}")
        print("\nTool against its floor (the parse of the same input) at both sizes:\n")
        for k in ("cold", "noop", "check"):
            print(f"- {k}: {base[k][0] / base['floor'][0]:.2f} × floor at 5000 × 50,"
                  f" {big[k][0] / big['floor'][0]:.2f} × floor at 20000 × 5")
    print("\nStages (INVENTORY_GEN_TIMINGS, medians, measured apart from the runs above), ms:\n")
    names = []
    for *_, stages in rows:
        for kind in ("cold", "noop"):
            names += [s for s in stages.get(kind, {}) if s not in names]
    if not names:
        print("(this binary does not report stages)")
        return
    print("| N × M | run | " + " | ".join(names) + " |")
    print("|---|---|" + "---:|" * len(names))
    for n, m, _, _, stages in rows:
        for kind in ("cold", "noop"):
            cells = [f"{stages[kind][s]:.0f}" if s in stages[kind] else "" for s in names]
            print(f"| {n} × {m} | {'no-op' if kind == 'noop' else kind} | " + " | ".join(cells) + " |")


EVAL_EXPR = """\
let
  lib = import <nixpkgs/lib>;
  generated = {generated};
  module =
    if {via_index} then
      (import generated {{ inputs = {{ }}; }}).modules.{machine}
    else
      import (generated + "/machines/{machine}.nix") (
        import (generated + "/runtime.nix") {{
          inputs = {{ }};
          directory = {flake};
          meta = {{ name = "bench"; }};
        }}
      );
  config =
    (lib.evalModules {{
      modules = [
        {{ freeformType = lib.types.lazyAttrsOf lib.types.anything; }}
        module
      ];
    }}).config;
in
config.bench
"""


def evaluate(args):
    work = Path(tempfile.mkdtemp(prefix="inventory-gen-bench-eval-", dir=args.dir))
    binary = Path(args.bin).resolve()
    results = []
    try:
        for n, m in parse_sizes(args.sizes):
            flake = work / f"fleet-{n}x{m}"
            names = generate_flake(flake, n, m)
            code = subprocess.run([str(binary), "--flake", str(flake), "generate"], stdout=subprocess.DEVNULL).returncode
            if code != 0:
                fail(f"generate failed at {n}x{m}")
            generated = flake / "generated" / "inventory"
            for via_index in (True, False):
                expr = EVAL_EXPR.format(generated=generated, flake=flake, machine=names[0],
                                        via_index="true" if via_index else "false")
                cmd = ["nix-instantiate", "--eval", "--strict", "--json", "-E", expr]
                env = dict(os.environ, NIX_SHOW_STATS="1")
                walls, stats, value = [], None, None
                for r in range(args.runs + 1):
                    with tempfile.TemporaryFile() as out:
                        wall, rss, code, err = timed(cmd, stdout=out, env=env)
                        out.seek(0)
                        value = out.read().decode()
                    if code != 0:
                        fail(f"evaluation failed at {n}x{m}: {err[-2000:]}")
                    if r > 0:
                        walls.append((wall, rss))
                    stats = json.loads(err[err.index("{"):])
                results.append((n, m, "index" if via_index else "stub", median([w for w, _ in walls]),
                                median([r for _, r in walls]), stats, len(json.loads(value))))
                print(f"{n}x{m} via {results[-1][2]}: {results[-1][3] * 1000:.0f} ms", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Machine 0 (`m0`, `m00`, …: the same 15 memberships at every N); median of {args.runs} runs."
          " `index`: through the generated default.nix (as lib.mkConfigurations does); `stub`: the machine's"
          " module alone (machines/<m>.nix applied to runtime.nix).\n")
    print("| N × M | via | instances of the machine | wall | peak RSS | Nix values | thunks | attrsets (elements) | envs | CPU time (Nix) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, m, via, wall, rss, s, count in results:
        print(f"| {n} × {m} | {via} | {count} | {wall * 1000:.0f} ms | {rss:.0f} MiB | {s['values']['number']} "
              f"| {s['nrThunks']} | {s['sets']['number']} ({s['sets']['elements']}) | {s['envs']['number']} "
              f"| {s['cpuTime'] * 1000:.0f} ms |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("gen", help="write a synthetic flake")
    g.add_argument("--machines", type=int, required=True)
    g.add_argument("--instances", type=int, required=True)
    g.add_argument("dir")
    for name, sizes in (("run", "100x5,1000x50,5000x50,20000x5"), ("eval", "100x50,5000x50")):
        p = sub.add_parser(name)
        p.add_argument("--sizes", default=sizes)
        p.add_argument("--runs", type=int, default=5)
        p.add_argument("--bin", default=str(REPO / "target" / "release" / "inventory-gen"))
        p.add_argument("--keep", action="store_true", help="keep the generated flakes")
        p.add_argument("--dir", default=None, help="where to put the flakes (default: $TMPDIR)")
    args = parser.parse_args()
    if args.command == "gen":
        generate_flake(args.dir, args.machines, args.instances)
    elif args.command == "run":
        run(args)
    else:
        evaluate(args)


if __name__ == "__main__":
    main()
