"""CLI start-up: wall time of `roce-agent --help` and of `roce-agent audit --help`, and what they import.

Each command runs as its own process (the console script's interpreter, cold caches aside), N times;
the median is the figure (target: `--help` <= 0.3 s). `python -X importtime` of the same command gives
the share spent importing and the heaviest top-level imports, so a regression names its culprit.

    python -m benchmarks.startup            # 5 runs each, JSON on stdout
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

COMMANDS = (("--help",), ("audit", "--help"))
TARGET_HELP_S = 0.3


def wall_s(args: tuple[str, ...], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, check=True)
        out.append(time.perf_counter() - started)
    return out


def import_profile(args: tuple[str, ...], top: int = 5) -> dict[str, Any]:
    """Total import time and the heaviest top-level packages (cumulative microseconds, from -X importtime)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "agent", *args], capture_output=True,
                          text=True, check=True)  # fmt: skip
    roots: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if cumulative.isdigit() and not line.split("|")[2].startswith("  "):  # a top-level import
            roots[name] = roots.get(name, 0) + int(cumulative)
    heaviest = sorted(roots.items(), key=lambda kv: -kv[1])[:top]
    return {
        "imports_s": round(sum(roots.values()) / 1e6, 3),
        "heaviest": [[n, round(us / 1e6, 3)] for n, us in heaviest],
    }


def measure(runs: int = 5) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": runs, "target_help_s": TARGET_HELP_S, "commands": {}}
    for args in COMMANDS:
        walls = wall_s(args, runs)
        out["commands"][" ".join(args)] = {
            "median_s": round(statistics.median(walls), 3),
            "min_s": round(min(walls), 3),
            **import_profile(args),
        }
    help_s = out["commands"]["--help"]["median_s"]
    out["help_met"] = help_s <= TARGET_HELP_S
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    print(json.dumps(measure(args.runs), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
