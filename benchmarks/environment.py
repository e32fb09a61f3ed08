"""What a result was measured on: versions, machine, load, settings and seeds (recorded with every run)."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from agent.app.workers import cores

PACKAGES = (
    "roce-agent", "nornir", "nornir_napalm", "nornir_netmiko", "napalm", "netmiko", "paramiko", "asyncssh",
    "pydantic", "networkx", "matplotlib", "psutil",
)  # fmt: skip
ROOT = Path(__file__).resolve().parents[1]


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def memory_total_mib() -> float | None:
    try:
        import psutil

        return float(round(psutil.virtual_memory().total / 2**20))
    except ImportError:
        return None


def git_commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return proc.stdout.strip()

    return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain", "--", "agent"))}


def describe(args: argparse.Namespace, audit: Any) -> dict[str, Any]:
    return {
        "started_at": time.time(),
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(["python -m benchmarks.run", *sys.argv[1:]]),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "git": git_commit(),
        "cores": cores(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_total_mib": memory_total_mib(),
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "sizes": args.size_list,
        "latency_ms": args.latency,
        "cost_model": args.cost_model,
        "workers": args.workers if args.workers is not None else "chosen by the agent",
        "naive_workers": args.naive_workers,
        "seeds": {"synthetic_fabric": args.seed, "lab_twins": "node index (rocelab.spec.build_real_twin)"},
        "audit_cli": asdict(audit),
    }
