"""Case table for the NCCL and host-entropy checks (tests/fixtures/checks/host_nccl.yaml), and
FAB-NCCL-001 on a lossy profile (ECN, not PFC, protects NCCL there)."""

from __future__ import annotations

import pytest
from checks_builders import case_id, golden_state, intents, load_cases, topology
from checks_cases import assert_case

from agent.checks.engine import run_checks
from agent.checks.finding import Finding
from agent.checks.registry import CheckSelection
from agent.intent import DeviceIntent
from agent.policy.model import Policy
from agent.state import DeviceState
from agent.topology.model import Topology

CASES = load_cases("host_nccl.yaml")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_host_nccl_case(case: dict) -> None:
    assert_case(case)


LOSSY_NCCL = Policy.model_validate(
    {"baseline": "nvidia-roce-lossy", "buffer_model": "traditional", "nccl": {"qps_per_connection": 4}}
)


def _lossy_fabric() -> tuple[dict[str, DeviceIntent], dict[str, DeviceState], Topology]:
    topo = topology()
    ints = intents(LOSSY_NCCL, topo)
    return ints, {n: golden_state(i) for n, i in ints.items()}, topo


def _nccl_e2e(ints: dict[str, DeviceIntent], states: dict[str, DeviceState], topo: Topology) -> list[Finding]:
    return run_checks(ints, states, topo, CheckSelection.parse(["FAB-NCCL-001"]))


def test_lossy_profile_needs_ecn_on_both_ends_not_pfc() -> None:
    ints, states, topo = _lossy_fabric()
    assert _nccl_e2e(ints, states, topo) == []  # PFC is off everywhere: ECN is what protects NCCL here
    states["leaf1"].ports["Ethernet0"].queues[3].ecn = None
    [switch] = _nccl_e2e(ints, states, topo)
    assert (switch.device, switch.port, switch.priority) == ("host1", "eth1", 3)
    assert "leaf1:Ethernet0 TC 3 queue 3 (ECN off)" in (switch.actual or "")
    assert "ECN-marked" in (switch.expected or "")
    ints, states, topo = _lossy_fabric()
    nic = states["host2"].ports["eth1"].nic
    assert nic is not None
    nic.ecn_rp[3] = False
    [host] = _nccl_e2e(ints, states, topo)
    assert "NIC prio 3 (ECN reaction point off" in (host.actual or "")
