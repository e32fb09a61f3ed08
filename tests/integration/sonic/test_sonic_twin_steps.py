"""A 16-port change on the twin goes as one GCU patch per port group inside one checkpointed transaction:
the plan names each step and the ports it flaps, GCU flaps exactly those in that step, and a failure in
step k rolls every earlier step back (issue 19: GCU's sorter flaps each port it touches, one at a time,
and its sort grows with the square of those ports)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from agent.intent import DeviceIntent, InventoryDevice, build_device_intent
from agent.platforms.base import ApplyOptions, ApplyStatus, ChangePlan
from agent.platforms.sonic.adapter import SonicAdapter
from agent.platforms.sonic.transaction import TxSettings, comparable
from agent.policy.model import Policy
from agent.state import DeviceKind
from agent.topology.model import Endpoint, Link, Topology
from rocelab.sonic.twin import SonicTwin
from rocelab.twin import TwinPort

from .sonic_twin_runner import TwinRunner

ADAPTER = SonicAdapter(TxSettings(verify_attempts=2, verify_interval_s=0, sleep=lambda _s: None))
POLICY = Path(__file__).parents[2] / "fixtures" / "sonic_platform" / "policy.yaml"
HOST = [f"Ethernet{4 * i}" for i in range(8)]
FABRIC = [f"Ethernet{4 * i}" for i in range(8, 16)]


def peer(port: str) -> tuple[str, str]:
    n = int(port.removeprefix("Ethernet")) // 4
    return (f"host{n + 1}:eth1", "host") if port in HOST else (f"spine{n - 7}:Ethernet0", "fabric")


def wide_leaf() -> tuple[SonicTwin, TwinRunner, DeviceIntent]:
    twin = SonicTwin("leaf1", [TwinPort(p, 400_000, *peer(p)) for p in HOST + FABRIC])
    twin.gcu.change_cost_s = 0.0
    policy = Policy.model_validate(YAML(typ="safe").load(POLICY.read_text()))
    links = [Link(Endpoint("leaf1", p), Endpoint.parse(peer(p)[0]), peer(p)[1]) for p in HOST + FABRIC]  # type: ignore[arg-type]
    dev = InventoryDevice("leaf1", DeviceKind.switch, "sonic", role="leaf", default_speed_mbps=400_000)
    return twin, TwinRunner(twin), build_device_intent(dev, policy, Topology(links=links))


def config_db(twin: SonicTwin) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(twin.run("sonic-cfggen -d --print-data", sudo=False).stdout)
    return doc


def downs(twin: SonicTwin) -> list[str]:
    """Ports GCU took admin down, in order (orchagent's syslog line per admin change)."""
    return [t.split()[-5] for _, t in twin.syslog if "admin status to down" in t]


def planned() -> tuple[SonicTwin, TwinRunner, DeviceIntent, ChangePlan[Any]]:
    twin, runner, intent = wide_leaf()
    return twin, runner, intent, ADAPTER.plan(intent, ADAPTER.gather(runner, intent))


def test_sixteen_ports_are_planned_as_host_then_fabric_groups_of_four() -> None:
    _twin, _runner, _intent, plan = planned()
    assert [(s.label, s.interfaces) for s in plan.steps] == [
        ("device-wide", []),
        ("host ports 1/2", HOST[:4]),
        ("host ports 2/2", HOST[4:]),
        ("fabric ports 1/2", FABRIC[:4]),
        ("fabric ports 2/2", FABRIC[4:]),
    ]
    assert [s.disruptive for s in plan.steps] == [[], HOST[:4], HOST[4:], FABRIC[:4], FABRIC[4:]]
    assert sorted(plan.disruptive) == sorted(HOST + FABRIC)
    assert sum(s.changes for s in plan.steps) >= len(plan.operations) - 2 * len(HOST)  # minus PFC_WD via CLI
    assert any(w.startswith("applied in 5 GCU patches") and "3/5 host ports 2/2" in w for w in plan.warnings)


def test_each_step_flaps_only_its_own_ports_and_the_change_converges() -> None:
    twin, runner, intent, plan = planned()
    out = ADAPTER.apply(runner, intent, plan, ApplyOptions())
    assert out.status is ApplyStatus.applied, out.detail
    lines = " ; ".join(runner.history)
    files = [f"/tmp/{out.checkpoint}.step{k}.json-patch" for k in range(1, 6)]
    assert re.findall(r"config apply-patch --dry-run (\S+)", lines) == files[:1]  # later ones GCU checks when applied
    assert re.findall(r"sudo config apply-patch (/\S+)", lines) == files  # in order, in the one commit line
    assert downs(twin) == HOST + FABRIC  # one port at a time, group after group
    for k, step in enumerate(plan.steps[1:], 2):
        assert f"step {k}/5 ({step.label}): GCU flapped {', '.join(step.disruptive)} (admin down, then up)" in (
            out.events
        )
    assert ADAPTER.plan(intent, ADAPTER.gather(runner, intent)).empty


@pytest.mark.parametrize("fault", ["refused", "dropped mid-step"])
def test_a_failure_in_step_three_rolls_back_steps_one_and_two(fault: str) -> None:
    twin, runner, intent, plan = planned()
    before = config_db(twin)

    read = twin.read_text

    def step_three(path: str) -> str | None:
        """GCU reading step 3's patch: refuse it before its first write, or drop the session mid-step."""
        text = read(path)
        if text is None or not path.endswith(".step3.json-patch"):
            return text
        if fault == "refused":  # a change GCU cannot simulate: refused before anything of step 3 is written
            return json.dumps([{"op": "replace", "path": "/QUEUE/Ethernet999|3/scheduler", "value": "x"}])
        twin.inject_fault("drop-after-writes", {"count": "5"})
        return text

    twin.read_text = step_three  # type: ignore[method-assign]
    out = ADAPTER.apply(runner, intent, plan, ApplyOptions())
    assert out.status is ApplyStatus.rolled_back, out.detail
    if fault == "refused":  # the commit line says which step stopped it
        assert "step 3/5 (host ports 2/2)" in out.detail
        assert "step 2/5 (host ports 1/2): patch applied" in " ".join(out.events)  # written, then undone
    else:  # the session died inside step 3: its output is lost, the checkpoint still covers every step
        assert "session lost" in out.detail
        assert "reconnected" in out.events
    assert downs(twin)[:4] == HOST[:4]  # step 2 was really applied (its ports flapped) before the failure
    assert comparable(config_db(twin)) == comparable(before)
    assert "PFC_WD" not in config_db(twin)
