"""Checks on a fabric with a declared profile boundary: leaf2, host3 and host4 are a lossy pod whose two
uplinks declare `roce_profile: inference`, so spine1:Ethernet4 and spine2:Ethernet4 run lossy on
otherwise lossless spines. The checks read each port's own profile: the fabric as rendered is clean, and
PFC turned on by hand on such a spine port, or a watchdog missing on a lossless port of a lossy switch,
is found on that port."""

from __future__ import annotations

from dataclasses import replace

from checks_builders import golden_state, topology

from agent.checks.engine import run_checks
from agent.checks.finding import Finding, Severity
from agent.intent import DeviceIntent, InventoryDevice, build_intents
from agent.policy.model import Policy
from agent.policy.profiles import PolicySet
from agent.state import DeviceKind, DeviceState
from agent.topology.model import Topology

TRAINING = Policy.model_validate({"baseline": "nvidia-roce", "buffer_model": "traditional", "name": "training"})
INFERENCE = Policy.model_validate({"baseline": "nvidia-roce-lossy", "buffer_model": "traditional", "name": "inference"})
POD = {"leaf2", "host3", "host4"}


def _fabric(
    pod_profile: str = "inference", spines: str = "training"
) -> tuple[dict[str, DeviceIntent], dict[str, DeviceState], Topology]:
    topo = topology()
    topo.links = [
        replace(lk, profile=pod_profile) if {lk.a.device, lk.b.device} & {"leaf2"} and lk.role == "fabric" else lk
        for lk in topo.links
    ]
    policies = PolicySet(
        name="fabric", default_profile="training", profiles={"training": TRAINING, "inference": INFERENCE}
    )
    devices = []
    for name, kind in sorted(topo.kinds.items()):
        host = kind == "host"
        profile = pod_profile if name in POD else (spines if name.startswith("spine") else "training")
        devices.append(
            InventoryDevice(
                name,
                DeviceKind.host if host else DeviceKind.switch,
                "linux-rdma" if host else "sonic",
                role="rdma-host" if host else ("spine" if name.startswith("spine") else "leaf"),
                default_speed_mbps=400_000,
                profile=profile,
            )
        )
    ints = build_intents(devices, policies, topo)
    states = {n: golden_state(i) for n, i in ints.items()}
    for name, state in states.items():  # as rendered: one TC -> PG map per switch, every class's DSCP on hosts
        pol = ints[name].policy
        union = set(pol.lossless_priorities).union(*(p.lossless_priorities for p in ints[name].ports.values()))
        for port in state.ports.values():
            if state.platform == "sonic":
                port.priority_to_pg = {p: (p if p in union else 0) for p in range(8)}
            else:
                port.dscp_to_priority = {d: c.priority for c in pol.classes for d in c.dscp}
    for name in POD & set(states):
        if states[name].platform == "sonic" and pod_profile == "inference":
            states[name].default_pfcwd_status = "disable"
    return ints, states, topo


def _keys(findings: list[Finding]) -> list[str]:
    return [f.key for f in findings if f.severity is not Severity.info]


def test_a_fabric_with_a_lossy_pod_behind_declared_uplinks_is_clean() -> None:
    ints, states, topo = _fabric()
    assert ints["spine1"].ports["Ethernet4"].lossless_priorities == ()
    assert ints["spine1"].ports["Ethernet0"].lossless_priorities == (3,)
    assert _keys(run_checks(ints, states, topo, previous=dict(states))) == []


def test_pfc_on_a_spine_port_facing_the_lossy_pod_is_found_on_that_port() -> None:
    ints, states, topo = _fabric()
    states["spine1"].ports["Ethernet4"].lossless_priorities = [3]
    found = {(f.check_id, f.device, f.port) for f in run_checks(ints, states, topo)}
    assert ("SW-PFC-001", "spine1", "Ethernet4") in found
    assert ("LINK-PFC-001", "spine1", "Ethernet4") in found or ("LINK-PFC-001", "leaf2", "Ethernet8") in found
    assert not {k for k in found if k[1] == "spine1" and k[2] == "Ethernet0"}


def test_no_lossless_finding_on_a_lossy_spine_port_without_pg_or_watchdog() -> None:
    """SW-BUF-*/SW-WD-* look at the port's profile: the lossy port has no PG and no watchdog, and is fine."""
    ints, states, topo = _fabric()
    port = states["spine1"].ports["Ethernet4"]
    port.priority_groups = [pg for pg in port.priority_groups if pg.key == "0"]
    port.watchdog = None
    found = [f for f in run_checks(ints, states, topo) if f.device == "spine1"]
    assert _keys(found) == []


def test_a_lossless_port_on_a_lossy_switch_needs_its_own_watchdog() -> None:
    """Spines lossy, leaf2's pod lossless through declared uplinks: spine1:Ethernet4 runs training, and its
    watchdog (the training profile's) is checked although the spine's own profile has none."""
    ints, states, topo = _fabric(pod_profile="training", spines="inference")
    assert ints["spine1"].ports["Ethernet4"].lossless_priorities == (3,)
    port = states["spine1"].ports["Ethernet4"]
    assert port.watchdog is not None
    port.watchdog.priorities = []
    found = {(f.check_id, f.device, f.port) for f in run_checks(ints, states, topo)}
    assert ("SW-WD-001", "spine1", "Ethernet4") in found
    assert not {k for k in found if k[0].startswith("SW-WD") and k[2] != "Ethernet4"}
