"""`make bench`: speed and scale of audit and rollout, against a naive baseline and the physical bound.

    python -m benchmarks.run                       # N = 16, 128, 512 (about 7-8 minutes on 2 cores)
    python -m benchmarks.run --sizes 16            # quick check while developing (or BENCH_SIZES=16)
    python -m benchmarks.run --cost-model flat:20ms --workers 32 --no-engine --no-naive
    python -m benchmarks.run --sizes 2048 --no-apply-at 2048 --no-naive   # memory and audit at 2,048 twins

For each size N: a Clos topology file (`benchmarks.scale_topology`), one lab process with N twins and a
per-command latency (`benchmarks.scale_lab`), then the real CLI commands as subprocesses
(`benchmarks.phases`): apply from defaults, audit of the converged fabric, and the naive baseline (twice:
with the same per-device known_hosts view as ours, and with the whole file as plain scripts do).
Then the check engine alone on the synthetic large fabric (`benchmarks.engine_bench`, own process), and
the CLI's start-up (`benchmarks.startup`: `roce-agent --help` wall time over 5 processes, imports).
Writes `benchmarks/results/<timestamp>.json` and `latest.json`, `benchmarks/results/latest.png`, and
prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.app.workers import cores
from benchmarks.environment import describe
from benchmarks.measure import run_measured
from benchmarks.phases import AuditCli, phases, run_phase
from benchmarks.report import markdown_table, targets
from benchmarks.scale_lab import ROOT, RunningLab, free_base_port, lab_for
from benchmarks.scale_topology import clos_shape, write_topology
from benchmarks.synthetic import DEFAULT_SEED

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_SIZES = (16, 128, 512)
DEFAULT_LATENCY_MS = 20.0
DEFAULT_COST_MODEL = "x86"
NAIVE_WORKERS = 32  # the baseline's thread pool (what load_nornir's threaded runner defaulted to)


def run_size(n: int, args: argparse.Namespace, audit: AuditCli) -> dict[str, Any]:
    shape = clos_shape(n)
    with tempfile.TemporaryDirectory(prefix=f"roce-bench-{n}-") as tmp:
        work = Path(tmp)
        topo = write_topology(n, work)
        base = free_base_port(n)
        print(f"[N={n}] lab up ({shape.spines} spines, {shape.leaves} leaves, {shape.hosts} hosts)", flush=True)
        with lab_for(topo, work, args.latency, base, args.cost_model) as lab:
            assert lab.start is not None
            lab_result: dict[str, Any] = {
                "start_s": round(lab.start.wall_s, 3),
                "rss_idle_mib": round(lab.rss_mib(), 1),
            }
            kinds = _kinds(lab)
            lab.counts()  # builds every twin (the count is read through it): not charged to the first phase
            lab_result["rss_twins_built_mib"] = round(lab.rss_mib(), 1)
            results: dict[str, Any] = {}
            todo = phases(
                lab, args.workers, audit, naive=not args.no_naive, whole_known_hosts=not args.no_whole,
                audit_defaults=args.audit_defaults, apply=n not in args.no_apply_sizes,
                naive_workers=args.naive_workers,
            )  # fmt: skip
            for phase in todo:
                print(f"[N={n}] {phase.name}: {' '.join(phase.argv[-6:])}", flush=True)
                results[phase.name] = run_phase(lab, phase, kinds, workers=args.naive_workers, cores=cores())
                r = results[phase.name]
                print(f"[N={n}] {phase.name}: {r['wall_s']} s, exit {r['exit_code']}, "
                      f"max {r['round_trips']['max']} round trips/device, {r['workers']} workers "
                      f"({r['workers_chosen_by']})", flush=True)  # fmt: skip
            lab_result["rss_end_mib"] = round(lab.rss_mib(), 1)
            lab_result["peak_rss_mib"] = round(lab.peak_rss_mib(), 1)
    return {
        "devices": n,
        "shape": {"spines": shape.spines, "leaves": shape.leaves, "hosts": shape.hosts, "links": shape.links},
        "lab": lab_result,
        "phases": results,
        "speedup_naive_over_audit": _speedup(results, "naive"),
        "speedup_naive_whole_known_hosts_over_audit": _speedup(results, "naive_whole_known_hosts"),
    }


def _kinds(lab: RunningLab) -> dict[str, str]:
    state = json.loads(lab.start.stdout) if lab.start else {"nodes": []}
    return {node["name"]: node["device_kind"] for node in state["nodes"]}


def _speedup(results: dict[str, Any], baseline: str) -> float | None:
    ours, naive = results.get("audit"), results.get(baseline)
    if not ours or not naive or ours["wall_s"] <= 0:
        return None
    return round(float(naive["wall_s"]) / float(ours["wall_s"]), 2)


def run_engine(seed: int) -> dict[str, Any]:
    print("[engine] check engine on 1,024 switches x 64 ports + 8,192 hosts", flush=True)
    return _run_alone("benchmarks.engine_bench", "--seed", str(seed))


def run_entropy() -> dict[str, Any]:
    print("[entropy] fabric entropy audit on 1,024 switches + 8,192 hosts", flush=True)
    return _run_alone("benchmarks.entropy_bench")


def run_inputs() -> dict[str, Any]:
    print("[inputs] YAML bombs and a 50 MB policy refused; an 8,192-host inventory validated", flush=True)
    return _run_alone("benchmarks.input_bench")


def run_monitor_bench() -> dict[str, Any]:
    print("[monitor] controller CPU per poll cycle, 512 devices, 10 s interval", flush=True)
    return _run_alone("benchmarks.monitor_bench", "--devices", "512", "--cycles", "3", "--interval", "10")


def _run_alone(module: str, *args: str) -> dict[str, Any]:
    """A benchmark module in its own process (its peak memory is its own), JSON on stdout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    measured = run_measured([sys.executable, "-m", module, *args, "--json"], env=env, cwd=ROOT)
    if measured.exit_code != 0:
        return {"error": measured.stderr[-2000:]}
    result: dict[str, Any] = json.loads(measured.stdout)
    result["process_wall_s"] = round(measured.wall_s, 3)
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    env_sizes = os.environ.get("BENCH_SIZES")
    p.add_argument(
        "--sizes",
        default=env_sizes or ",".join(map(str, DEFAULT_SIZES)),
        help="comma-separated device counts (env BENCH_SIZES; default 16,128,512)",
    )
    p.add_argument(
        "--cost-model",
        default=DEFAULT_COST_MODEL,
        help="device cost model of the twins: x86 (default), arm, flat:<N>ms (rocelab/cost.py)",
    )
    p.add_argument("--latency", type=float, default=DEFAULT_LATENCY_MS, help="with --cost-model '': flat ms per line")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="our audit/apply's --workers (default: none given, the agent chooses from N and the per-device cost)",
    )
    p.add_argument("--naive-workers", type=int, default=NAIVE_WORKERS, help="the naive baseline's workers (32)")
    p.add_argument(
        "--no-apply-at",
        default="",
        help="comma-separated sizes whose apply phase is skipped (their audit then reads the fresh lab)",
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the synthetic fabric")
    p.add_argument("--no-engine", action="store_true", help="skip the engine, entropy and input benchmarks")
    p.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    p.add_argument("--no-monitor", action="store_true", help="skip the monitor poll-cycle benchmark")
    p.add_argument(
        "--no-whole", action="store_true", help="skip the second baseline run (whole known_hosts, as plain scripts)"
    )
    p.add_argument(
        "--audit-defaults", action="store_true", help="also audit the fresh lab before apply (thousands of findings)"
    )
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    args = p.parse_args(argv)
    args.size_list = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    args.no_apply_sizes = {int(s) for s in str(args.no_apply_at).split(",") if s.strip()}
    return args


def write_results(doc: dict[str, Any], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(doc["meta"]["started_at"]))
    path = out / f"bench-{stamp}.json"
    text = json.dumps(doc, indent=2) + "\n"
    path.write_text(text)
    (out / "latest.json").write_text(text)
    return path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    audit = AuditCli.probe()
    if not audit.available:
        print("note: `roce-agent audit` is not in this build; measuring apply and the baseline only", flush=True)
    started = time.time()
    meta = describe(args, audit)
    runs = [run_size(n, args, audit) for n in args.size_list]
    engine = None if args.no_engine else run_engine(args.seed)
    entropy = None if args.no_engine else run_entropy()
    inputs = None if args.no_engine else run_inputs()
    monitor = None if args.no_monitor else run_monitor_bench()
    print("[startup] roce-agent --help and audit --help, 5 runs each", flush=True)
    from benchmarks.startup import measure as measure_startup

    startup = measure_startup()
    meta["finished_at"] = time.time()
    meta["duration_s"] = round(meta["finished_at"] - started, 1)
    meta["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    doc = {
        "meta": meta,
        "runs": runs,
        "engine": engine,
        "entropy": entropy,
        "inputs": inputs,
        "startup": startup,
        "monitor": monitor,
    }
    doc["targets"] = targets(doc)
    path = write_results(doc, args.out)
    if not args.no_plot and runs:
        from benchmarks.plot import plot

        print(f"plot: {plot(doc, args.out / 'latest.png')}")
    print(f"results: {path}")
    print(markdown_table(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
