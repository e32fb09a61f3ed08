"""agent/checks/deadlock.py on small hand-made fabrics (one table: links, host-facing switches, outcome)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.checks import deadlock
from agent.topology.model import Endpoint


def _links(spec: list[str]) -> list[tuple[Endpoint, Endpoint]]:
    return [(Endpoint.parse(a), Endpoint.parse(b)) for a, b in (s.split(" ") for s in spec)]


CLOS_2 = ["l1:e1 s1:e1", "l1:e2 s2:e1", "l2:e1 s1:e2", "l2:e2 s2:e2"]
RING_4 = ["l1:e1 l2:e2", "l2:e1 l3:e2", "l3:e1 l4:e2", "l4:e1 l1:e2"]
PEER_LINK = [*CLOS_2, "l1:e9 l2:e9"]
CLOS_3 = [
    *CLOS_2,
    "l3:e1 s3:e1", "l3:e2 s4:e1", "l4:e1 s3:e2", "l4:e2 s4:e2",
    "s1:e8 t1:e1", "s2:e8 t1:e2", "s3:e8 t1:e3", "s4:e8 t1:e4",
]  # fmt: skip

CASES = [
    # name, links, host-facing, lossless filter (None = all), base cycle?, failures that cycle
    ("two-tier clos", CLOS_2, {"l1", "l2"}, None, False, 0),
    ("ring of four leaves", RING_4, {"l1", "l2", "l3", "l4"}, None, True, 0),
    ("leaf pair with peer link", PEER_LINK, {"l1", "l2"}, None, False, 0),
    ("three-tier clos", CLOS_3, {"l1", "l2", "l3", "l4"}, None, False, 8),
    ("three-tier, no PFC to the top", CLOS_3, {"l1", "l2", "l3", "l4"}, "t1", False, 0),
    ("ring with PFC off on one link", RING_4, {"l1", "l2", "l3", "l4"}, "l4:e1", False, 0),
]


@pytest.mark.parametrize(("name", "spec", "hosts", "no_pfc", "base", "failures"), CASES, ids=[c[0] for c in CASES])
def test_cycles(name: str, spec: list[str], hosts: set[str], no_pfc: str | None, base: bool, failures: int) -> None:
    links = _links(spec)
    tier = deadlock.tiers(links, hosts)

    def lossless(end: Endpoint) -> bool:
        return no_pfc is None or not (str(end) == no_pfc or end.device == no_pfc)

    fab = deadlock.build_fabric(links, tier, lossless)
    cycle = deadlock.base_cycle(fab)
    assert (cycle is not None) is base
    if cycle is not None:
        # a real cycle: each hop starts on the device where the previous one ended, and it closes
        hops = cycle.hops
        assert all(hops[i][1].device == hops[(i + 1) % len(hops)][0].device for i in range(len(hops)))
    found = deadlock.failure_cycles(fab)
    assert len(found) == failures
    for c in found:
        assert c.failed is not None
        hops = c.hops
        assert all(hops[i][1].device == hops[(i + 1) % len(hops)][0].device for i in range(len(hops))), c.describe()
        assert all(h in fab.lossless for h in hops)
        assert c.failed not in hops
        assert (c.failed[1], c.failed[0]) not in hops


def test_tiers_follow_distance_from_hosts() -> None:
    tier = deadlock.tiers(_links(CLOS_3), {"l1", "l2", "l3", "l4"})
    assert tier == {"l1": 1, "l2": 1, "l3": 1, "l4": 1, "s1": 2, "s2": 2, "s3": 2, "s4": 2, "t1": 3}


# An offline audit (inventory + snapshot): load, every check, report; prints whether networkx was imported.
_AUDIT = """
import sys
from pathlib import Path
from agent.app.audit import AuditRequest, audit
from agent.app.inputs import InventoryRequest
inventory, snapshot = Path(sys.argv[1]), Path(sys.argv[2])
run = audit(AuditRequest(InventoryRequest(inventory, contact=False), from_snapshot=snapshot, record_history=False))
assert run.result.findings
print("networkx" in sys.modules)
"""


def test_an_audit_without_lateral_links_never_imports_networkx() -> None:
    """networkx cost 60-90 ms of every command's start-up; only a lateral-link cycle search needs it."""
    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "report"
    args = [str(fixtures / "inventory"), str(fixtures / "snapshot-faults")]
    out = subprocess.run([sys.executable, "-c", _AUDIT, *args], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
