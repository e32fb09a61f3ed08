"""gather/plan/apply against the in-process RDMA host twin (mlx5 semantics, real command surface)."""

from __future__ import annotations

import pytest
from host_fixtures import FakeClock, TwinRunner, host_intent, twin_host

from agent.checks.engine import run_checks
from agent.checks.finding import Severity
from agent.platforms.base import ApplyOptions, ApplyStatus
from agent.platforms.linux_rdma.adapter import HostAdapter
from agent.platforms.linux_rdma.apply import ApplySettings
from agent.platforms.linux_rdma.gather import native_from_raw
from agent.platforms.linux_rdma.ops import FileWrite
from agent.platforms.linux_rdma.plan import fingerprint
from agent.topology.model import Topology
from rocelab.host.twin import HostTwin
from rocelab.twin import TwinNic


def _adapter(clock: object) -> HostAdapter:
    settings = ApplySettings(link_timeout_s=30.0, poll_interval_s=0.5, sleep=clock.sleep, clock=clock)  # type: ignore[attr-defined]
    return HostAdapter(settings)


def test_gather_is_one_round_trip_per_host() -> None:
    _, runner, clock = twin_host()
    raw = _adapter(clock).gather(runner, host_intent())
    assert runner.round_trips == 1
    assert raw.round_trips == 1
    nic = native_from_raw(raw).nics["eth1"]
    assert nic.is_mlx5
    assert nic.rdma is not None
    assert nic.rdma.device == "mlx5_0"


def test_plan_apply_converges_and_a_second_plan_is_empty() -> None:
    _, runner, clock = twin_host()
    adapter, intent = _adapter(clock), host_intent()
    plan = adapter.plan(intent, adapter.gather(runner, intent))
    assert {"dcbx", "pause", "mtu", "ets", "app_replace", "pfc"} <= {op.kind for op in plan.operations}
    assert any("mtu 1500 -> 9000" in line for line in plan.lines)
    trips = runner.round_trips
    outcome = adapter.apply(runner, intent, plan, ApplyOptions())
    assert outcome.status is ApplyStatus.applied, outcome.detail
    flaps = [e for e in outcome.events if e.startswith("link flap on eth1 (PFC mask change")]
    assert len(flaps) == 1
    assert "RDMA port ACTIVE after 2.0s (polled on the host)" in flaps[0]  # the twin's mlx5 link is down 2 s
    assert runner.round_trips - trips < len(plan.operations)  # file writes share round trips
    again = adapter.plan(intent, adapter.gather(runner, intent))
    assert again.empty, again.lines
    state = adapter.normalize("host1", adapter.gather(runner, intent))
    port = state.ports["eth1"]
    assert port.lossless_priorities == [3]
    assert port.dscp_to_priority == {26: 3, 48: 6}
    assert port.mtu == 9000
    assert port.nic is not None
    assert (port.nic.roce_tos, port.nic.pfc_delay, port.nic.tcp_ecn) == (106, 5, 1)
    assert port.nic.dcbx_owner == "host"
    assert port.nic.prio_buffer[3] != port.nic.prio_buffer[0]  # firmware put the lossless priority apart
    findings = run_checks({"host1": intent}, {"host1": state}, Topology())
    assert [f for f in findings if f.severity is not Severity.info] == []


def test_dry_run_and_empty_plans_touch_nothing() -> None:
    _, runner, clock = twin_host()
    adapter, intent = _adapter(clock), host_intent()
    raw = adapter.gather(runner, intent)
    plan = adapter.plan(intent, raw)
    before = runner.round_trips
    outcome = adapter.apply(runner, intent, plan, ApplyOptions(dry_run=True))
    assert outcome.status is ApplyStatus.unchanged
    assert "pre-write checks passed" in outcome.detail
    assert runner.round_trips == before + 1  # the snapshot read, nothing else
    writes = ("sudo tee", "sudo dcb", "sudo ip", "sudo mkdir", "sudo ethtool")
    assert not any(w in c for c in runner.commands for w in writes)
    assert fingerprint(native_from_raw(adapter.gather(runner, intent))) == fingerprint(native_from_raw(raw))
    empty = adapter.plan(intent, adapter.gather(runner, intent))
    empty.operations = []
    trips = runner.round_trips
    assert adapter.apply(runner, intent, empty, ApplyOptions()).status is ApplyStatus.unchanged
    assert runner.round_trips == trips


@pytest.mark.parametrize(
    ("kind", "options", "needle"),
    [
        ("fail-command", {"pattern": "tee /sys/class/infiniband/.*/traffic_class"}, "traffic_class"),
        ("reject-app", {"errno": "EINVAL"}, "re-read differs"),  # `dcb app replace` exits 0 anyway
        ("fail-command", {"pattern": "dcb pfc set", "message": "Attribute write: Invalid argument"}, "Invalid"),
    ],
)
def test_a_failed_write_restores_the_snapshot(kind: str, options: dict[str, str], needle: str) -> None:
    twin, runner, clock = twin_host()
    adapter, intent = _adapter(clock), host_intent()
    raw = adapter.gather(runner, intent)
    before = fingerprint(native_from_raw(raw))
    plan = adapter.plan(intent, raw)
    twin.inject_fault(kind, options)
    outcome = adapter.apply(runner, intent, plan, ApplyOptions())
    assert outcome.status is ApplyStatus.rolled_back, outcome.detail
    assert needle in outcome.detail
    twin.inject_fault("clear", {})
    assert fingerprint(native_from_raw(adapter.gather(runner, intent))) == before


def test_a_plan_made_before_someone_else_changed_the_nic_is_refused() -> None:
    _, runner, clock = twin_host()
    adapter, intent = _adapter(clock), host_intent()
    plan = adapter.plan(intent, adapter.gather(runner, intent))
    runner.run("sudo dcb pfc set dev eth1 prio-pfc 4:on")
    outcome = adapter.apply(runner, intent, plan, ApplyOptions())
    assert outcome.status is ApplyStatus.rolled_back
    assert "changed since the plan" in outcome.detail


def test_iproute2_65_twin_converges_too() -> None:
    _, runner, clock = twin_host(flavour="6.5")
    adapter, intent = _adapter(clock), host_intent()
    outcome = adapter.apply(runner, intent, adapter.plan(intent, adapter.gather(runner, intent)), ApplyOptions())
    assert outcome.status is ApplyStatus.applied, outcome.detail
    assert adapter.plan(intent, adapter.gather(runner, intent)).empty


def test_veth_and_firmware_owned_nics_are_refused_with_actionable_errors() -> None:
    _, runner, clock = twin_host(driver="veth")
    adapter, intent = _adapter(clock), host_intent()
    with pytest.raises(Exception, match="configure the physical function"):
        adapter.plan(intent, adapter.gather(runner, intent))
    _, runner, clock = twin_host(driver="bnxt_en")
    with pytest.raises(Exception, match="firmware LLDP/DCBX agent owns eth1"):
        adapter.plan(intent, adapter.gather(runner, intent))


def test_rollback_says_dcbx_stays_with_the_os() -> None:
    twin, runner, clock = twin_host()
    adapter, intent = _adapter(clock), host_intent()
    plan = adapter.plan(intent, adapter.gather(runner, intent))
    twin.inject_fault("fail-command", {"pattern": "dcb ets set"})
    outcome = adapter.apply(runner, intent, plan, ApplyOptions())
    assert outcome.status is ApplyStatus.rolled_back, outcome.detail
    assert any("DCBX stays OS-controlled" in v and "mlnx_qos -i eth1 -d fw" in v for v in outcome.verification)


def test_a_link_that_does_not_come_back_in_time_fails_the_step_and_rolls_back() -> None:
    twin, runner, clock = twin_host()
    twin.inject_fault("flap-time", {"seconds": "100"})  # longer than the 30 s the agent waits
    adapter, intent = _adapter(clock), host_intent()
    raw = adapter.gather(runner, intent)
    before = fingerprint(native_from_raw(raw))
    outcome = adapter.apply(runner, intent, adapter.plan(intent, raw), ApplyOptions())
    assert outcome.status is ApplyStatus.rolled_back, outcome.detail
    assert "eth1 did not come back after the PFC change: netdev still DOWN" in outcome.detail
    assert any("netdev still DOWN" in e for e in outcome.events)
    assert fingerprint(native_from_raw(adapter.gather(runner, intent))) == before


def test_two_nics_on_one_host_converge_in_one_gather_each_time() -> None:
    clock = FakeClock()
    twin = HostTwin("host1", [TwinNic("eth1", "mlx5_0"), TwinNic("eth2", "mlx5_1")], clock=clock)
    runner = TwinRunner(twin)
    adapter = _adapter(clock)
    one = host_intent()
    intent = one.model_copy(
        update={"ports": {**one.ports, "eth2": one.ports["eth1"].model_copy(update={"name": "eth2"})}}
    )
    raw = adapter.gather(runner, intent)
    assert runner.round_trips == 1
    plan = adapter.plan(intent, raw)
    assert {op.interface for op in plan.operations} == {"eth1", "eth2"}
    assert any(
        isinstance(op, FileWrite) and op.path.startswith("/sys/kernel/config/rdma_cm/mlx5_1/") for op in plan.operations
    )
    outcome = adapter.apply(runner, intent, plan, ApplyOptions())
    assert outcome.status is ApplyStatus.applied, outcome.detail
    assert len([e for e in outcome.events if e.startswith("link flap")]) == 2
    state = adapter.normalize("host1", adapter.gather(runner, intent))
    assert {n: p.nic.rdma_device for n, p in state.ports.items() if p.nic} == {"eth1": "mlx5_0", "eth2": "mlx5_1"}
    assert adapter.plan(intent, adapter.gather(runner, intent)).empty
