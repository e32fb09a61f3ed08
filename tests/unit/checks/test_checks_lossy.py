"""Checks on a lossy profile: a correctly configured lossy fabric is clean, and ECN off on the RoCE queue
is an error (SW-ECN-001): without PFC, marking is the only congestion signal DCQCN gets."""

from __future__ import annotations

from checks_builders import golden_state, intents, topology

from agent.checks.engine import run_checks
from agent.checks.finding import Severity
from agent.intent import DeviceIntent
from agent.policy.model import Policy
from agent.state import DeviceState
from agent.topology.model import Topology

LOSSY = Policy.model_validate({"baseline": "nvidia-roce-lossy", "buffer_model": "traditional"})


def _fabric() -> tuple[dict[str, DeviceIntent], dict[str, DeviceState], Topology]:
    topo = topology()
    ints = intents(LOSSY, topo)
    states = {n: golden_state(i) for n, i in ints.items()}
    for state in states.values():
        state.default_pfcwd_status = "disable" if state.platform == "sonic" else state.default_pfcwd_status
    return ints, states, topo


def test_a_lossy_fabric_as_rendered_is_clean() -> None:
    ints, states, topo = _fabric()
    findings = run_checks(ints, states, topo, previous=dict(states))
    assert [f.key for f in findings if f.severity is not Severity.info] == []


def test_ecn_off_on_the_roce_queue_of_a_lossy_port_is_an_error() -> None:
    ints, states, topo = _fabric()
    port = states["leaf1"].ports["Ethernet0"]
    port.queues[3].ecn = None
    findings = [f for f in run_checks(ints, states, topo) if f.check_id == "SW-ECN-001"]
    assert [(f.device, f.port, f.priority, f.severity) for f in findings] == [("leaf1", "Ethernet0", 3, Severity.error)]


def test_mode_tables_name_real_checks_and_explain_says_the_mode() -> None:
    from typer.testing import CliRunner

    from agent.checks.modes import LOSSLESS_ONLY, LOSSY_MEANING
    from agent.checks.registry import catalogue
    from agent.cli import app

    assert set(LOSSLESS_ONLY) | set(LOSSY_MEANING) <= set(catalogue())
    assert not set(LOSSLESS_ONLY) & set(LOSSY_MEANING)
    res = CliRunner().invoke(app, ["checks", "explain", "SW-BUF-001"])
    assert "applies in: lossless profiles only" in res.stdout
    res = CliRunner().invoke(app, ["checks", "explain", "RT-PFC-001"])
    assert "in lossy: any PFC frame on any priority is a finding" in res.stdout


def test_lossless_only_checks_find_nothing_to_check_on_a_lossy_fabric_without_pgs() -> None:
    """Their claim in `checks explain`: remove every PG and watchdog entry from the lossy fabric, still silent."""
    from agent.checks.modes import LOSSLESS_ONLY
    from agent.checks.registry import CheckSelection

    ints, states, topo = _fabric()
    for state in states.values():
        for port in state.ports.values():
            port.priority_groups.clear()
    findings = run_checks(ints, states, topo, CheckSelection.parse(list(LOSSLESS_ONLY)), previous=dict(states))
    assert [f.key for f in findings if not f.check_id.startswith("AUDIT")] == []
