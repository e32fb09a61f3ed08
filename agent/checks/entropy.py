"""FAB-LB-005: the fabric entropy audit as a check (ring all-reduce through the observed hashes).

Runs only when the policy has `load_balancing: entropy:`; the numbers are the model's estimate (see
agent.loadbalancing.audit), so this is a warning, never an error. A finding belongs to a tier, not to a
device (device "fabric", port = the tier): its identity across audits must not move with whichever link
happens to be the busiest.
"""

from __future__ import annotations

from collections.abc import Iterator

from agent.checks.context import FabricCtx, finding
from agent.checks.engine import FABRIC
from agent.checks.finding import Finding, Severity
from agent.checks.registry import check
from agent.loadbalancing.audit import entropy_audit


@check(
    "FAB-LB-005",
    "Fabric entropy: a collective's RoCE flows spread evenly over each tier's links (estimate)",
    scope="fabric",
    tags=("hash",),
    severity=Severity.warning,
    explanation="""Simulates the policy's traffic pattern (ring all-reduce over every host, `qps` queue
    pairs per connection, random RoCE source ports, seeded) through every switch's ECMP hash as it runs
    (fields, algorithm, seed) over shortest paths, and warns for each tier whose busiest link carries more
    than `max_over_mean` times the tier's mean. The ASIC hash is modelled (CRC32 over the configured
    fields, seed mixed in): an estimate that catches missing entropy fields and polarised tiers, not a
    prediction of one ASIC's exact choices. `roce-agent fabric entropy` prints the table and a heat map.""",
)
def fabric_entropy(ctx: FabricCtx) -> Iterator[Finding]:
    intent = next(iter(ctx.intents.values()), None)
    lb = intent.policy.load_balancing if intent is not None else None
    if lb is None or lb.entropy is None:
        return
    roles = {n: i.role or "switch" for n, i in ctx.intents.items()}
    result = entropy_audit(ctx.topology, ctx.states, roles, lb.entropy)
    for verdict in result.over_threshold:
        busiest, stats = verdict.busiest, verdict.stats
        if busiest is None:
            continue
        yield finding(
            "FAB-LB-005",
            FABRIC,
            port=stats.tier,
            expected=f"{stats.tier}: busiest link <= {verdict.threshold:g} x mean",
            actual=f"{stats.tier}: {busiest.src}->{busiest.dst} max {stats.max} flows vs mean {stats.mean:.2f} "
            f"({stats.max_over_mean:.2f}x), "
            f"{stats.idle} of {stats.links} links idle ({result.report.flows} flows, {result.report.model}, estimate)",
            remediation="hash on SRC_IP, DST_IP, L4_SRC_PORT (SW-LB-001), give each tier its own seed (FAB-LB-002), "
            "raise NCCL_IB_QPS_PER_CONNECTION; `roce-agent fabric entropy` shows every link",
        )
