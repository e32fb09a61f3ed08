"""The check engine alone (`agent.checks.engine.run_checks`) on the large synthetic fabric.

    python -m benchmarks.engine_bench [--switches 1024 --ports 64 --hosts 8192] [--seed N] [--json]

Builds the fabric (timed separately: it is test scaffolding, not the product), then times one
`run_checks` over every intent, state and link with the full catalogue. Run as its own process by
`benchmarks.run` so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from typing import Any

from agent.checks.engine import run_checks
from benchmarks.synthetic import DEFAULT_SEED, FabricShape, synthetic_fabric


def bench(shape: FabricShape, seed: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    fabric = synthetic_fabric(shape, seed=seed)
    build_s = time.perf_counter() - t0
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    findings = run_checks(fabric.intents, fabric.states, fabric.topology)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    flagged = {f.device for f in findings}
    return {
        "switches": shape.switches,
        "ports_per_switch": shape.ports_per_switch,
        "hosts": shape.hosts,
        "links": len(fabric.topology.links),
        "ports": sum(len(s.ports) for s in fabric.states.values()),
        "seed": seed,
        "build_s": round(build_s, 3),
        "checks_wall_s": round(wall, 3),
        "checks_cpu_s": round(cpu, 3),
        "findings": len(findings),
        "findings_by_check": dict(Counter(f.check_id for f in findings).most_common()),
        "seeded_faults": len(fabric.faults),
        "seeded_faults_found": sum(1 for d in fabric.faults if d in flagged),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--switches", type=int, default=1024)
    p.add_argument("--ports", type=int, default=64)
    p.add_argument("--hosts", type=int, default=8192)
    p.add_argument("--spines", type=int, default=64)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    shape = FabricShape(switches=args.switches, ports_per_switch=args.ports, hosts=args.hosts, spines=args.spines)
    result = bench(shape, args.seed)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:22} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
