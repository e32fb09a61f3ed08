"""The entropy audit's glue (observed hash settings -> model -> per-tier verdict) and FAB-LB-005, on the
2-leaf / 2-spine fabric of test_entropy.py, with numbers worked out by hand.

Ring over h1..h4: h1->h2 and h3->h4 stay on their leaf; h2->h3 crosses leaf1 -> spine -> leaf2 and
h4->h1 crosses leaf2 -> spine -> leaf1. With K QPs per connection the leaf->spine tier (4 links) carries
2K flows: mean K/2. Without L4_SRC_PORT all K flows of a pair take one uplink: max K, 2 links idle,
max/mean 2.0 whatever the hash. With the QP-index model and the source port hashed, QP q takes member
q mod 2: K/2 on every link, max/mean 1.0.
"""

from __future__ import annotations

import pytest

from agent.checks.engine import run_checks
from agent.checks.registry import CheckSelection
from agent.intent import InventoryDevice, build_intents
from agent.loadbalancing.audit import ESTIMATE_NOTE, entropy_audit, observed_settings
from agent.policy.load_balancing import EntropyAudit, LoadBalancing
from agent.policy.model import Policy, TrafficClass
from agent.state import DeviceKind, DeviceState, LoadBalancingState

from .test_entropy import HOSTS, LEAF_SPINE, NO_SPORT, ROCE_FIELDS, ROLES, QpModel


def states(fields: tuple[str, ...] | None, seeds: dict[str, int] | None = None) -> dict[str, DeviceState]:
    out = {}
    for name in ROLES:
        lb = LoadBalancingState(
            ecmp_hash=None if fields is None else list(fields),
            ecmp_hash_algorithm="CRC",
            ecmp_hash_seed=(seeds or {}).get(name, 10 if name.startswith("leaf") else 25),
        )
        out[name] = DeviceState(name=name, kind=DeviceKind.switch, platform="sonic", load_balancing=lb)
    return out


def tier(result: object, name: str) -> tuple[int, float, int, int]:
    verdict = next(v for v in result.verdicts if v.stats.tier == name)  # type: ignore[attr-defined]
    s = verdict.stats
    return s.links, s.mean, s.max, s.idle


@pytest.mark.parametrize("qps", [1, 2, 4, 8])
def test_without_source_port_every_pair_takes_one_uplink(qps: int) -> None:
    result = entropy_audit(LEAF_SPINE, states(NO_SPORT), ROLES, EntropyAudit(qps=qps, max_over_mean=2.0), QpModel())
    assert result.report.flows == 4 * qps
    assert tier(result, "leaf->spine") == (4, qps / 2, qps, 2)
    assert tier(result, "spine->leaf") == (4, qps / 2, qps, 2)
    assert [v.stats.max_over_mean for v in result.verdicts] == [2.0, 2.0]
    assert result.over_threshold == []  # a threshold is "more than": 2.0x is not above 2.0
    strict = entropy_audit(LEAF_SPINE, states(NO_SPORT), ROLES, EntropyAudit(qps=qps, max_over_mean=1.9), QpModel())
    assert [v.stats.tier for v in strict.over_threshold] == ["leaf->spine", "spine->leaf"]


@pytest.mark.parametrize("qps", [2, 4, 8])
def test_source_port_hashed_fills_every_uplink(qps: int) -> None:
    result = entropy_audit(LEAF_SPINE, states(ROCE_FIELDS), ROLES, EntropyAudit(qps=qps), model=QpModel())
    assert tier(result, "leaf->spine") == (4, qps / 2, qps // 2, 0)
    assert result.over_threshold == []


def test_one_qp_per_connection_cannot_use_two_uplinks_whatever_the_hash() -> None:
    result = entropy_audit(LEAF_SPINE, states(ROCE_FIELDS), ROLES, EntropyAudit(qps=1))  # default CRC32 model
    assert tier(result, "leaf->spine") == (4, 0.5, 1, 2)


def test_hosts_come_from_the_topology_and_unknown_hashes_are_listed() -> None:
    observed = states(ROCE_FIELDS)
    observed["spine2"].load_balancing = LoadBalancingState()  # SWITCH_HASH not configured
    result = entropy_audit(LEAF_SPINE, observed, ROLES, EntropyAudit(qps=2))
    assert result.hosts == len(HOSTS)
    assert result.unknown_hash == ["spine2"]
    assert result.to_json()["note"] == ESTIMATE_NOTE
    assert "estimate" in ESTIMATE_NOTE


def test_the_offset_decorrelates_like_the_seed() -> None:
    a = LoadBalancingState(ecmp_hash=list(ROCE_FIELDS), ecmp_hash_seed=10, ecmp_hash_offset=10)
    b = a.model_copy(update={"ecmp_hash_offset": 0})
    make = lambda lb: DeviceState(name="x", kind=DeviceKind.switch, platform="sonic", load_balancing=lb)  # noqa: E731
    assert observed_settings({"x": make(a)})[0]["x"] != observed_settings({"x": make(b)})[0]["x"]


def _policy(entropy: EntropyAudit) -> Policy:
    classes = [
        TrafficClass(name="roce", dscp=[26], priority=3, lossless=True),
        TrafficClass(name="d", priority=0, default=True),
    ]
    return Policy(classes=classes, load_balancing=LoadBalancing(entropy=entropy))


def _intents(policy: Policy) -> dict[str, object]:
    devices = [InventoryDevice(n, DeviceKind.switch, "sonic", role=r) for n, r in ROLES.items()]
    devices += [InventoryDevice(h, DeviceKind.host, "linux-rdma", role="rdma-host") for h in HOSTS]
    return build_intents(devices, policy, LEAF_SPINE)  # type: ignore[return-value]


def test_check_warns_per_tier_above_the_threshold() -> None:
    """MAC-only hashing (no field a RoCE flow varies) is the hand case: max 4 vs mean 2 on both tiers."""
    intents = _intents(_policy(EntropyAudit(qps=4, max_over_mean=1.5)))
    found = run_checks(intents, states(("SRC_MAC", "DST_MAC")), LEAF_SPINE, CheckSelection.parse(["FAB-LB-005"]))  # type: ignore[arg-type]
    lb = [f for f in found if f.check_id == "FAB-LB-005"]
    assert sorted(f.expected or "" for f in lb) == [
        "leaf->spine: busiest link <= 1.5 x mean",
        "spine->leaf: busiest link <= 1.5 x mean",
    ]
    assert all("max 4 flows vs mean 2.00 (2.00x), 2 of 4 links idle" in (f.actual or "") for f in lb)
    assert all(f.severity.value == "warning" and "estimate" in (f.actual or "") for f in lb)


def test_check_quiet_under_the_threshold_and_without_an_entropy_section() -> None:
    relaxed = _intents(_policy(EntropyAudit(qps=4, max_over_mean=2.5)))
    sel = CheckSelection.parse(["FAB-LB-005"])
    assert not [f for f in run_checks(relaxed, states(NO_SPORT), LEAF_SPINE, sel) if f.check_id == "FAB-LB-005"]  # type: ignore[arg-type]
    classes = [TrafficClass(name="d", priority=0, default=True)]
    plain = _intents(Policy(classes=classes))
    assert not [f for f in run_checks(plain, states(NO_SPORT), LEAF_SPINE, sel) if f.check_id == "FAB-LB-005"]  # type: ignore[arg-type]
