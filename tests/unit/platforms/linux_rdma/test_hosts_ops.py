"""Typed host operations: the JSON of plans and trails written before they were typed still loads, unchanged.

`tests/fixtures/hosts_platform/plans/` was written by the dict-based implementation (before commit
"typed host operations"): a `roce-agent plan --json` document, a rollout trail with `planned` records,
and the shell command lines each operation became. The typed operations must read them, give the same
JSON back and build the same commands.
"""

from __future__ import annotations

import json

import pytest
from host_fixtures import FIXTURES, host_intent, raw_from

from agent.errors import ParseError
from agent.platforms.base import ChangePlan
from agent.platforms.linux_rdma.adapter import ADAPTER
from agent.platforms.linux_rdma.gather import native_from_raw
from agent.platforms.linux_rdma.ops import KINDS, Mtu, Pfc, load_operations
from agent.rollout.trail import Trail

PLANS = FIXTURES / "plans"


def _v1_plan() -> list[list[object]]:
    return [dev["patch"] for dev in json.loads((PLANS / "plan-v1.json").read_text())["devices"]]


def test_a_plan_json_written_before_typed_operations_loads_and_dumps_back_identically() -> None:
    patches = _v1_plan()
    seen = set()
    for patch in patches:
        ops = load_operations("host1", patch)
        seen |= {op.kind for op in ops}
        assert ChangePlan("host1", "linux-rdma", ops).operations_json() == patch
    assert seen == set(KINDS) - {"nccl_conf"}  # every kind that existed in v1 (nccl_conf came later)


def test_loaded_operations_build_the_same_command_lines_as_before() -> None:
    expected = json.loads((PLANS / "plan-v1.commands.json").read_text())
    got = [[[c.shell(True) for c in op.commands()] for op in load_operations("host1", patch)] for patch in _v1_plan()]
    assert got == expected


def test_a_rollout_trail_written_before_typed_operations_still_loads() -> None:
    records = [r for r in Trail(PLANS / "trail-v1.jsonl").records() if r["event"] == "planned"]
    assert len(records) == 2
    for rec in records:
        ops = ADAPTER.load_operations(rec["device"], rec["operations"])
        assert ChangePlan(rec["device"], rec["platform"], ops).operations_json() == rec["operations"]


def _without_summaries(ops: list[object]) -> list[object]:
    return [{k: v for k, v in op.items() if k != "summary"} if isinstance(op, dict) else op for op in ops]


def test_todays_plan_has_the_json_shape_plans_always_had() -> None:
    plan = ADAPTER.plan(host_intent(), raw_from("mlx5_default"))
    assert _without_summaries(plan.operations_json()) == _without_summaries(_v1_plan()[0])
    assert all(type(op).__name__ != "dict" for op in plan.operations)
    # the human summaries changed wording since v1 (issue 12): no "cable m", no empty before-value
    summaries = [op.summary for op in plan.operations]
    assert "pfc prio-pfc 3 (was none) delay 5 (cable 5 m, was 7 m) [mlx5: link flaps]" in summaries
    assert "/sys/class/infiniband/mlx5_0/tc/1/traffic_class: <empty> -> 106" in summaries
    assert not any(":  -> " in s or "cable m" in s for s in summaries)


@pytest.mark.parametrize(
    ("op", "why"),
    [
        ({"interface": "eth1", "kind": "reboot", "summary": "x"}, "does not match any of the expected tags"),
        ({"interface": "eth1;reboot", "kind": "mtu", "mtu": 9000, "summary": "x"}, "not a valid interface name"),
        ({"interface": "eth1", "kind": "mtu", "mtu": "9000", "summary": "x"}, "valid integer"),
        ({"interface": "eth1", "kind": "mtu", "mtu": 9000, "summary": "x", "shell": "id"}, "Extra inputs"),
        ({"interface": "eth1", "kind": "pause", "rx": "yes", "tx": False, "summary": "x"}, "valid boolean"),
        ({"interface": "eth1", "kind": "pfc", "enabled": [9], "summary": "x"}, "operation 0"),
        (
            {"interface": "eth1", "kind": "file", "path": "/etc/shadow", "value": "x", "expect": "x", "summary": "x"},
            "operation 0",
        ),
    ],
)
def test_an_operation_that_could_not_have_been_planned_is_refused_on_load(op: dict[str, object], why: str) -> None:
    with pytest.raises(ParseError, match=why) as caught:
        load_operations("host1", [op])
    assert "host1" in str(caught.value)


def test_each_operation_carries_its_own_re_read_check() -> None:
    """Every operation of the default plan sees that the default NIC lacks its effect, and the
    converged NIC has it (the file writes included)."""
    plan = ADAPTER.plan(host_intent(), raw_from("mlx5_default"))
    before = native_from_raw(raw_from("mlx5_default"))
    after = native_from_raw(raw_from("mlx5_default", "converged"))
    for op in plan.operations:
        assert op.mismatches(before), op.summary
        assert not op.mismatches(after), (op.summary, op.mismatches(after))


def test_the_typed_fields_the_apply_relies_on() -> None:
    plan = ADAPTER.plan(host_intent(), raw_from("mlx5_default"))
    (pfc,) = [op for op in plan.operations if isinstance(op, Pfc)]
    assert (pfc.flaps_link, pfc.rdma, pfc.enabled, pfc.delay) == (True, "mlx5_0/1", [3], 5)
    (mtu,) = [op for op in plan.operations if isinstance(op, Mtu)]
    assert mtu.mtu == 9000
    assert {op.touched_key() for op in plan.operations} >= {"dcbx", "pause", "mtu", "ets", "app_replace", "pfc"}
