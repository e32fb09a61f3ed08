"""The fabric entropy audit: each switch's observed hash settings, the policy's traffic pattern, a verdict.

Glue between observed state and the pure model (`entropy.simulate`): the hash settings come from every
switch's `DeviceState.load_balancing` (fields, algorithm, seed and offset as the switch runs them), the
traffic is ring all-reduce over every host of the topology in name order with the policy's queue pairs
per connection, and a tier whose busiest link carries more than `max_over_mean` times the tier's mean
is over the threshold. Everything here is an estimate: the hash model stands in for the ASIC's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agent.loadbalancing.entropy import EntropyReport, LinkLoad, TierStats, TrafficPattern, simulate
from agent.loadbalancing.hashing import Crc32Hash, HashModel, HashSettings
from agent.loadbalancing.tiers import hash_settings
from agent.policy.load_balancing import EntropyAudit
from agent.state import DeviceState
from agent.topology.model import Topology

ESTIMATE_NOTE = (
    "estimate: ECMP choices modelled as CRC32 over each switch's configured hash fields with its seed "
    "mixed in (ASIC hash functions are not all public); shortest-path ECMP over links.yaml"
)


@dataclass(frozen=True)
class TierVerdict:
    stats: TierStats
    threshold: float
    busiest: LinkLoad | None

    @property
    def over(self) -> bool:
        return self.stats.mean > 0 and self.stats.max_over_mean > self.threshold


@dataclass
class EntropyAuditResult:
    report: EntropyReport
    settings: EntropyAudit
    hosts: int
    unknown_hash: list[str] = field(default_factory=list)  # switches whose hash could not be read
    verdicts: list[TierVerdict] = field(default_factory=list)
    note: str = ESTIMATE_NOTE

    @property
    def over_threshold(self) -> list[TierVerdict]:
        return [v for v in self.verdicts if v.over]

    def to_json(self) -> dict[str, object]:
        return {
            "model": self.report.model,
            "note": self.note,
            "flows": self.report.flows,
            "qps_per_connection": self.report.qps,
            "hosts": self.hosts,
            "unrouted_flows": self.report.unrouted,
            "max_over_mean_threshold": self.settings.max_over_mean,
            "switches_without_known_hash": self.unknown_hash,
            "tiers": [
                {
                    "tier": v.stats.tier,
                    "links": v.stats.links,
                    "mean": round(v.stats.mean, 3),
                    "max": v.stats.max,
                    "max_over_mean": round(v.stats.max_over_mean, 3),
                    "idle": v.stats.idle,
                    "over_threshold": v.over,
                }
                for v in self.verdicts
            ],
            "links": [
                {"src": str(ld.src), "dst": str(ld.dst), "tier": ld.tier, "flows": ld.flows} for ld in self.report.loads
            ],
            "worst": [{"src": str(ld.src), "dst": str(ld.dst), "flows": ld.flows} for ld in self.report.worst()],
        }


def observed_settings(states: Mapping[str, DeviceState]) -> tuple[dict[str, HashSettings], list[str]]:
    """Model settings per switch from what it runs; switches without a readable hash are listed."""
    settings: dict[str, HashSettings] = {}
    unknown: list[str] = []
    for name, state in sorted(states.items()):
        if state.kind.value != "switch":
            continue
        lb = state.load_balancing
        if lb is None or lb.ecmp_hash is None:
            unknown.append(name)
        if lb is not None:
            settings[name] = hash_settings(lb)
    return settings, unknown


def entropy_audit(
    topology: Topology,
    states: Mapping[str, DeviceState],
    roles: Mapping[str, str],
    settings: EntropyAudit,
    model: HashModel | None = None,
) -> EntropyAuditResult:
    """Simulate the policy's ring all-reduce through the observed hashes and judge each tier.

    A switch with no configured hash is modelled as hashing on nothing (every flow on its first member):
    the agent cannot know the ASIC default, and that switch is listed in `unknown_hash`."""
    hosts = tuple(sorted(d for d, kind in topology.kinds.items() if kind == "host"))
    hashes, unknown = observed_settings(states)
    pattern = TrafficPattern(hosts, qps=settings.qps, seed=settings.seed)
    report = simulate(topology, hashes, pattern, roles=roles, model=model or Crc32Hash())
    verdicts = []
    for stats in report.tiers:
        tier_loads = [ld for ld in report.loads if ld.tier == stats.tier]
        busiest = min(tier_loads, key=lambda ld: (-ld.flows, ld.src, ld.dst), default=None)
        verdicts.append(TierVerdict(stats, settings.max_over_mean, busiest))
    return EntropyAuditResult(report, settings, len(hosts), unknown, verdicts)
