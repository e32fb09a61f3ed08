"""Memory and cycle time of `roce-agent monitor` over a long run (issue 18: memory stays flat over 1 hour).

Starts the default lab topology in its own state dir and inventory (a temp dir, free ports: the
default lab and other engineers' labs are not touched), runs the real `roce-agent monitor --interval 1s`
as a subprocess against it for `--duration` seconds (history, events and periodic audits on, as a user
would run it) after applying the lab policy, starts a PFC storm on leaf1 every `--storm-every` seconds
(raise and clear paths run too), samples the monitor process's RSS every `--rss-every` seconds and scrapes its endpoint
every `--scrape-every` seconds for the last cycle's time and the cycle count. Writes
`benchmarks/results/monitor-soak-<time>.json` and one row in benchmarks/README.md's soak table.

Not part of the default `make bench` (it takes an hour): `make bench-soak` or

    python -m benchmarks.monitor_soak --duration 3600

Verdict: RSS growth from the end of the warm-up (`--warmup`, default 900 s: imports, the first audits,
connection pools and the history's page cache settle) to the end, per hour; flat means under
`--max-growth-mib-per-h` (default 5 MiB/h).
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from benchmarks.scale_lab import ROOT, cli, free_base_port, lab_for

TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "benchmarks" / "README.md"
TABLE_HEADING = "### Monitor soak runs"
TABLE_HEAD = (
    "| finished (UTC) | duration | interval | devices | cycles | RSS start / end / max (MiB) | growth after warm-up "
    "| cycle p50 / p95 / max (s) | CPU | verdict |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)
_SERIES = re.compile(r"^(roce_agent_monitor_cycle_seconds|roce_agent_monitor_cycles_total) (\S+)$", re.M)


@dataclass
class Samples:
    rss: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, MiB)
    cycle_s: list[float] = field(default_factory=list)
    cycles: int = 0
    scrape_errors: int = 0
    storms: int = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as page:
        text = page.read().decode()
    return {m.group(1): float(m.group(2)) for m in _SERIES.finditer(text)}


def storm(env: dict[str, str], mode: str) -> None:
    """`lab traffic leaf1 Ethernet4 storm|idle`: raise and clear events as an operator would see them."""
    subprocess.run([*cli(), "lab", "traffic", "leaf1", "Ethernet4", mode], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, timeout=60)  # fmt: skip


def configure(env: dict[str, str], inventory: Path) -> None:
    """Apply the lab policy first: a monitored fabric is a configured one (no drift on every audit)."""
    done = subprocess.run([*cli(), "apply", "-i", str(inventory), "--yes"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"apply failed ({done.returncode}): {done.stdout[-1500:]}{done.stderr[-1500:]}")


def watch(proc: subprocess.Popen[bytes], port: int, args: argparse.Namespace, env: dict[str, str]) -> Samples:
    """Sample until `duration` has passed or the monitor exits. RSS is sampled from the first finished
    cycle on (before it, the process is still importing: its start figure would be the interpreter's)."""
    me = psutil.Process(proc.pid)
    out = Samples()
    started = time.monotonic()
    next_rss = next_scrape = started
    next_storm, idle_at = started + args.storm_every / 2, None
    while (now := time.monotonic()) - started < args.duration and proc.poll() is None:
        if now >= next_rss and out.cycles == 0:
            next_rss = now + args.scrape_every
        elif now >= next_rss:
            out.rss.append((round(now - started, 1), round(me.memory_info().rss / 2**20, 2)))
            next_rss += args.rss_every
        if now >= next_scrape:
            try:
                got = scrape(port)
                if "roce_agent_monitor_cycles_total" in got and got["roce_agent_monitor_cycles_total"] > out.cycles:
                    out.cycles = int(got["roce_agent_monitor_cycles_total"])
                    out.cycle_s.append(got["roce_agent_monitor_cycle_seconds"])
            except OSError:
                out.scrape_errors += 1  # the endpoint is not up yet (first seconds) or the monitor hangs
            next_scrape += args.scrape_every
        if args.storm_every and now >= next_storm:
            storm(env, "storm")
            out.storms += 1
            next_storm += args.storm_every
            idle_at = now + args.storm_for
        if idle_at is not None and now >= idle_at:
            storm(env, "idle")
            idle_at = None
        time.sleep(max(0.05, min(next_rss, next_scrape, idle_at or next_storm) - time.monotonic()))
    out.rss.append((round(time.monotonic() - started, 1), round(me.memory_info().rss / 2**20, 2)))
    return out


def growth_per_hour(rss: list[tuple[float, float]], warmup_s: float) -> float:
    """Least-squares slope of RSS after the warm-up, MiB per hour (robust to one noisy sample)."""
    tail = [(t, m) for t, m in rss if t >= warmup_s] or rss[-2:]
    if len(tail) < 2:
        return 0.0
    slope = statistics.linear_regression([t for t, _ in tail], [m for _, m in tail]).slope
    return round(slope * 3600, 2)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="roce-monitor-soak-") as tmp:
        work = Path(tmp)
        with lab_for(TOPOLOGY, work, 0.0, free_base_port(8), cost_model=args.cost_model) as lab:
            configure(lab.env, lab.inventory)
            port = free_port()
            argv = [*cli(), "monitor", "-i", str(lab.inventory), "--interval", f"{args.interval:g}s",
                    "--listen", f"127.0.0.1:{port}", "--events", str(work / "events.jsonl")]  # fmt: skip
            with (work / "monitor.err").open("wb") as err:
                proc = subprocess.Popen(argv, env=lab.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
                try:
                    samples = watch(proc, port, args, lab.env)
                    exited = proc.poll()
                    cpu = psutil.Process(proc.pid).cpu_times() if exited is None else None
                finally:
                    proc.terminate()
                    proc.wait(30)
            events = sum(1 for _ in (work / "events.jsonl").open()) if (work / "events.jsonl").exists() else 0
            stderr_tail = (work / "monitor.err").read_text(errors="replace")[-2000:]
            devices = len(lab.devices)
    return summarise(args, samples, devices, exited, cpu, events, stderr_tail)


def summarise(
    args: argparse.Namespace,
    s: Samples,
    devices: int,
    exited: int | None,
    cpu: Any,
    events: int,
    stderr_tail: str,
) -> dict[str, Any]:
    mib = [m for _, m in s.rss]
    growth = growth_per_hour(s.rss, args.warmup)
    cpu_s = round(cpu.user + cpu.system, 1) if cpu is not None else None
    flat = exited is None and growth <= args.max_growth_mib_per_h
    return {
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "duration_s": args.duration,
        "interval_s": args.interval,
        "devices": devices,
        "cost_model": args.cost_model or "flat:0ms",
        "cycles": s.cycles,
        "cycles_expected": int(args.duration / args.interval),
        "rss_mib": {"start": mib[0], "end": mib[-1], "max": max(mib), "samples": s.rss},
        "growth_after_warmup_mib_per_h": growth,
        "warmup_s": args.warmup,
        "cycle_s": {
            "samples": len(s.cycle_s),
            "p50": percentile(s.cycle_s, 0.5),
            "p95": percentile(s.cycle_s, 0.95),
            "max": round(max(s.cycle_s, default=0.0), 3),
            "mean": round(statistics.fmean(s.cycle_s), 3) if s.cycle_s else 0.0,
        },
        "monitor_cpu_s": cpu_s,
        "monitor_cpu_share": round(cpu_s / args.duration, 3) if cpu_s is not None else None,
        "events": events,
        "storms": s.storms,
        "scrape_errors": s.scrape_errors,
        "monitor_exited": exited,
        "monitor_stderr_tail": stderr_tail if exited is not None else "",
        "max_growth_mib_per_h": args.max_growth_mib_per_h,
        "flat": flat,
    }


def readme_row(r: dict[str, Any]) -> str:
    rss, cyc = r["rss_mib"], r["cycle_s"]
    cpu = f"{r['monitor_cpu_s']} s ({r['monitor_cpu_share']:.1%} of a core)" if r["monitor_cpu_s"] is not None else "-"
    verdict = "flat" if r["flat"] else ("monitor exited" if r["monitor_exited"] is not None else "GROWS")
    return (
        f"| {r['finished_at']} | {r['duration_s']:g} s | {r['interval_s']:g} s | {r['devices']} "
        f"| {r['cycles']} of {r['cycles_expected']} | {rss['start']:.1f} / {rss['end']:.1f} / {rss['max']:.1f} "
        f"| {r['growth_after_warmup_mib_per_h']:+.2f} MiB/h | {cyc['p50']:.3f} / {cyc['p95']:.3f} / {cyc['max']:.3f} "
        f"| {cpu} | {verdict} |"
    )


def add_readme_row(row: str, readme: Path = README) -> None:
    """Append the row to the soak table (the table and its heading are created at the end if missing);
    sections after it, and their tables, stay as they are."""
    text = readme.read_text(encoding="utf-8")
    if TABLE_HEADING not in text:
        intro = "`python -m benchmarks.monitor_soak` (`make bench-soak`), one row per run."
        text = text.rstrip("\n") + f"\n\n{TABLE_HEADING}\n\n{intro}\n\n{TABLE_HEAD}\n"
    head, _, rest = text.partition(TABLE_HEADING)
    lines = rest.split("\n")
    last = next(i for i, line in enumerate(lines) if line.startswith("|"))
    while last + 1 < len(lines) and lines[last + 1].startswith("|"):  # this table only, not a later one
        last += 1
    lines.insert(last + 1, row)
    readme.write_text(head + TABLE_HEADING + "\n".join(lines), encoding="utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=3600.0, help="seconds the monitor runs")
    p.add_argument("--interval", type=float, default=1.0, help="the monitor's --interval, seconds")
    p.add_argument("--rss-every", type=float, default=60.0, help="seconds between RSS samples")
    p.add_argument("--scrape-every", type=float, default=5.0, help="seconds between endpoint scrapes")
    p.add_argument("--warmup", type=float, default=900.0, help="seconds left out of the growth slope")
    p.add_argument("--max-growth-mib-per-h", type=float, default=5.0)
    p.add_argument("--storm-every", type=float, default=600.0, help="seconds between PFC storms on leaf1; 0: none")
    p.add_argument("--storm-for", type=float, default=30.0, help="seconds each storm lasts")
    p.add_argument("--cost-model", default="", help="the lab's cost model (x86, arm, flat:<N>ms); default none")
    p.add_argument("--no-readme", action="store_true", help="do not add a row to benchmarks/README.md")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"monitor-soak-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    row = readme_row(result)
    if not args.no_readme:
        add_readme_row(row)
    print(row)
    print(f"results: {path}")
    return 0 if result["flat"] else 1


if __name__ == "__main__":
    sys.exit(main())
