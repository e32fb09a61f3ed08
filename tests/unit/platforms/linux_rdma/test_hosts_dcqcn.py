"""DCQCN parameters: declared in the policy, planned, applied on the host twin, read back and audited.

The twin serves `ecn/roce_rp/*` and `ecn/roce_np/min_time_between_cnps` with ConnectX firmware defaults
and the driver's range (32-bit fields, mlx5_ifc.h); the agent writes only what the policy declares.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from host_fixtures import FakeClock, host_intent, twin_host

from agent.checks.engine import run_checks
from agent.checks.finding import Severity
from agent.platforms.base import ApplyOptions, ApplyStatus
from agent.platforms.linux_rdma.adapter import HostAdapter
from agent.platforms.linux_rdma.apply import ApplySettings
from agent.platforms.linux_rdma.ops import FileWrite
from agent.policy.loader import check_policy_file
from agent.policy.model import Policy
from agent.topology.model import Topology

DCQCN = {"reaction_point": {"rpg_time_reset": 150, "rpg_ai_rate": 20, "rpg_min_dec_fac": 30},
         "notification_point": {"min_time_between_cnps": 2}}  # fmt: skip


def _adapter(clock: FakeClock) -> HostAdapter:
    return HostAdapter(ApplySettings(link_timeout_s=30.0, poll_interval_s=0.5, sleep=clock.sleep, clock=clock))


def test_declared_dcqcn_round_trips_plan_apply_audit_on_the_twin() -> None:
    policy = Policy.model_validate({"baseline": "nvidia-roce-lossy", "host": {"dcqcn": DCQCN}})
    twin, runner, clock = twin_host()
    adapter, intent = _adapter(clock), host_intent(policy)
    plan = adapter.plan(intent, adapter.gather(runner, intent))
    writes = {op.path: op.value for op in plan.operations if isinstance(op, FileWrite) and "/ecn/roce_" in op.path}
    assert writes["/sys/class/net/eth1/ecn/roce_rp/rpg_time_reset"] == "150"
    assert writes["/sys/class/net/eth1/ecn/roce_rp/rpg_min_dec_fac"] == "30"
    assert writes["/sys/class/net/eth1/ecn/roce_np/min_time_between_cnps"] == "2"
    assert not any(p.endswith(("rpg_gd", "dce_tcp_g")) for p in writes)  # undeclared: firmware keeps them
    outcome = adapter.apply(runner, intent, plan, ApplyOptions())
    assert outcome.status is ApplyStatus.applied, outcome.detail
    assert adapter.plan(intent, adapter.gather(runner, intent)).empty
    state = adapter.normalize("host1", adapter.gather(runner, intent))
    nic = state.ports["eth1"].nic
    assert nic is not None
    assert (nic.dcqcn["rp/rpg_time_reset"], nic.dcqcn["rp/rpg_gd"], nic.dcqcn["np/min_time_between_cnps"]) == (
        150,
        11,
        2,
    )
    findings = run_checks({"host1": intent}, {"host1": state}, Topology())
    assert [f.check_id for f in findings if f.severity is not Severity.info] == []
    # someone retunes the NIC by hand: the audit names the parameter
    assert twin.run("echo 300 > /sys/class/net/eth1/ecn/roce_rp/rpg_time_reset", sudo=True).exit_code == 0
    drifted = adapter.normalize("host1", adapter.gather(runner, intent))
    [finding] = [
        f for f in run_checks({"host1": intent}, {"host1": drifted}, Topology()) if f.check_id == "HOST-DCQCN-001"
    ]
    assert finding.actual == "rp/rpg_time_reset 300"


RP, NP = "host.dcqcn.reaction_point.", "host.dcqcn.notification_point."


@pytest.mark.parametrize(
    ("text", "field", "needle"),
    [
        ("reaction_point: {rpg_min_dec_fac: 0}", RP + "rpg_min_dec_fac", "allowed 1..100"),
        ("reaction_point: {initial_alpha_value: 1024}", RP + "initial_alpha_value", "allowed 0..1023"),
        ("reaction_point: {rpg_time_reset: 4294967296}", RP + "rpg_time_reset", "allowed 0..4294967295"),
        ("notification_point: {min_time_between_cnp: 4}", NP + "min_time_between_cnp", "Did you mean"),
    ],
)
def test_out_of_range_or_unknown_dcqcn_parameter_is_located(tmp_path: Path, text: str, field: str, needle: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(f"baseline: nvidia-roce-lossy\nhost:\n  tcp_ecn: 1\n  dcqcn:\n    {text}\n")
    [problem] = check_policy_file(path).errors
    assert (problem.line, problem.field) == (5, field)
    assert needle in problem.message
