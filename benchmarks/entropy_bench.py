"""The fabric entropy audit alone (`agent.loadbalancing.entropy.simulate`) on the large synthetic fabric.

    python -m benchmarks.entropy_bench [--switches 1024 --hosts 8192 --spines 64] [--qps 4] [--json]

A three-tier Clos (the default: 32 pods of 16 leaves and 8 spines, 256 super-spines in 8 planes of 32,
16 hosts per leaf dealt round-robin over the leaves, so 1,024 switches and 8,192 hosts). Ring all-reduce
over every host with `--qps` queue pairs per connection, routed through every switch's ECMP hash (each
tier its own seed). Target: under 10 s at that size. (The check-engine fabric in `synthetic.py` is not
used: its leaves reach only a quarter of the spines, so most leaf pairs have no path.)
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import dataclass
from typing import Any

from agent.loadbalancing.entropy import TrafficPattern, simulate
from agent.loadbalancing.hashing import HashSettings
from agent.topology.model import Endpoint, Link, Topology

ROCE_FIELDS = ("SRC_IP", "DST_IP", "L4_SRC_PORT", "L4_DST_PORT", "IP_PROTOCOL")


@dataclass(frozen=True)
class ClosShape:
    pods: int = 32
    leaves_per_pod: int = 16
    spines_per_pod: int = 8
    supers_per_plane: int = 32
    hosts: int = 8192

    @property
    def switches(self) -> int:
        return self.pods * (self.leaves_per_pod + self.spines_per_pod) + self.spines_per_pod * self.supers_per_plane


def three_tier(shape: ClosShape) -> tuple[Topology, dict[str, str]]:
    """Links and roles; every leaf to every spine of its pod, spine k of every pod to plane k's supers."""
    roles: dict[str, str] = {}
    links: list[Link] = []
    leaves = [f"p{p}-leaf{i}" for p in range(shape.pods) for i in range(shape.leaves_per_pod)]
    for h in range(shape.hosts):
        leaf = leaves[h % len(leaves)]
        links.append(Link(Endpoint(leaf, f"Ethernet{h // len(leaves)}"), Endpoint(f"host{h}", "eth1"), "host"))
    for p in range(shape.pods):
        for i in range(shape.leaves_per_pod):
            roles[f"p{p}-leaf{i}"] = "leaf"
            for k in range(shape.spines_per_pod):
                a = Endpoint(f"p{p}-leaf{i}", f"Ethernet{100 + k}")
                links.append(Link(a, Endpoint(f"p{p}-spine{k}", f"Ethernet{i}"), "fabric"))
        for k in range(shape.spines_per_pod):
            roles[f"p{p}-spine{k}"] = "spine"
            for j in range(shape.supers_per_plane):
                roles[f"super{k}-{j}"] = "super"
                a = Endpoint(f"p{p}-spine{k}", f"Ethernet{100 + j}")
                links.append(Link(a, Endpoint(f"super{k}-{j}", f"Ethernet{p}"), "fabric"))
    kinds = {d: "switch" for d in roles} | {f"host{h}": "host" for h in range(shape.hosts)}
    return Topology.from_links(links, kinds), roles


def bench(shape: ClosShape, qps: int, seed: int) -> dict[str, Any]:
    topology, roles = three_tier(shape)
    seeds = {"leaf": 10, "spine": 25, "super": 40}  # SONiC's switch.json.j2 seeds for these roles
    settings = {d: HashSettings(ROCE_FIELDS, seed=seeds[r]) for d, r in roles.items()}
    hosts = tuple(f"host{h}" for h in range(shape.hosts))
    cpu0, t0 = time.process_time(), time.perf_counter()
    report = simulate(topology, settings, TrafficPattern(hosts, qps=qps, seed=seed), roles=roles)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    tiers = {
        t.tier: {"links": t.links, "max_over_mean": round(t.max_over_mean, 2), "idle": t.idle} for t in report.tiers
    }
    return {
        "switches": shape.switches,
        "hosts": shape.hosts,
        "links": len(topology.links),
        "flows": report.flows,
        "unrouted": report.unrouted,
        "qps_per_connection": qps,
        "model": report.model,
        "entropy_wall_s": round(wall, 3),
        "entropy_cpu_s": round(cpu, 3),
        "target_s": 10.0,
        "tiers": tiers,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pods", type=int, default=32)
    p.add_argument("--hosts", type=int, default=8192)
    p.add_argument("--qps", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    result = bench(ClosShape(pods=args.pods, hosts=args.hosts), args.qps, args.seed)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:22} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
