"""Cutting a patch into per-port-group steps: applied in order they give exactly the planned after state,
each port's rows stay in its group's step, and a profile the ports stop using goes only after them."""

from __future__ import annotations

from typing import Any

from agent.platforms.sonic.patch import apply_ops, diff_ops
from agent.platforms.sonic.steps import PortGroup, port_groups, split

PORTS = [f"Ethernet{4 * i}" for i in range(6)]


def config(profile: str, pfc: str) -> dict[str, Any]:
    return {
        "WRED_PROFILE": {profile: {"green_min_threshold": "1000"}},
        "QUEUE": {f"{p}|3": {"wred_profile": profile} for p in PORTS},
        "PORT_QOS_MAP": {p: {"pfc_enable": pfc} for p in PORTS},
        "CABLE_LENGTH": {"AZURE": {p: "40m" if pfc == "3,4" else "5m" for p in PORTS}},
        "PORT": {p: {"admin_status": "up", "mtu": "9100"} for p in PORTS},
    }


def test_steps_replay_to_the_after_state_with_removals_last() -> None:
    before, after = config("OLD", "3,4"), config("NEW", "3")
    ops = diff_ops(before, after)
    groups = port_groups({p: "host" if i < 3 else "fabric" for i, p in enumerate(PORTS)}, PORTS, per_step=2)
    assert [g.label for g in groups] == ["host ports 1/2", "host ports 2/2", "fabric ports 1/2", "fabric ports 2/2"]
    steps = split(ops, before, groups)
    state = before
    for _group, step_ops in steps:
        state = apply_ops(state, step_ops)
    assert state == after
    assert [g.label if g else "device" for g, _ in steps] == ["device", *[g.label for g in groups]]
    first = steps[0][1]
    assert first == [{"op": "add", "path": "/WRED_PROFILE/NEW", "value": {"green_min_threshold": "1000"}}]
    for group, step_ops in steps[1:]:
        assert group is not None
        touched = {op["path"].split("/")[2].split("|")[0] for op in step_ops if not op["path"].startswith("/WRED")}
        touched |= {op["path"].split("/")[3] for op in step_ops if op["path"].startswith("/CABLE_LENGTH")} - {"AZURE"}
        assert touched - {"AZURE"} == set(group.ports)
    assert steps[-1][1][-1] == {"op": "remove", "path": "/WRED_PROFILE/OLD"}  # after every QUEUE moved off it


def test_one_group_stays_one_patch() -> None:
    before, after = config("OLD", "3,4"), config("NEW", "3")
    ops = diff_ops(before, after)
    assert split(ops, before, [PortGroup("all", tuple(PORTS))]) == [(None, ops)]


def test_a_port_losing_its_watchdog_loses_the_whole_row() -> None:
    """202511's `pfcwd start` also writes pfc_stat_history, which the agent does not own: when the agent
    stops a port's watchdog the row must go whole, not stay behind with that field alone."""
    from agent.platforms.sonic.patch import plan_ops

    row = {"action": "drop", "detection_time": "400", "restoration_time": "400", "pfc_stat_history": "disable"}
    live = {"PFC_WD": {"Ethernet0": row, "Ethernet4": dict(row), "GLOBAL": {"POLL_INTERVAL": "200"}}}
    desired = {"PFC_WD": {"Ethernet0": {}, "Ethernet4": {k: v for k, v in row.items() if k != "pfc_stat_history"}}}
    assert plan_ops(live, desired) == [{"op": "remove", "path": "/PFC_WD/Ethernet0"}]
