"""Generic Nornir tasks: dispatch by platform, per-host failures reported while other hosts go on."""

from __future__ import annotations

from typing import Any

import pytest
from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory

from agent.errors import DeviceError
from agent.intent import DeviceIntent
from agent.platforms import tasks
from agent.platforms.base import ApplyOptions, ApplyOutcome, ApplyStatus, ChangePlan
from agent.state import DeviceState

from .sonic_fake_switch import FakeSonic


class _DictInventory:
    def __init__(self, **_kw: Any) -> None: ...

    def load(self) -> Inventory:
        hosts = Hosts({n: Host(n, hostname="127.0.0.1", port=1) for n in ("leaf1", "leaf2")})
        return Inventory(hosts=hosts, groups=Groups(), defaults=Defaults())


@pytest.fixture
def nr() -> Nornir:
    from nornir.core.plugins.inventory import InventoryPluginRegister

    InventoryPluginRegister.register("sonic-test-dict", _DictInventory)
    return InitNornir(inventory={"plugin": "sonic-test-dict"}, logging={"enabled": False}, runner={"plugin": "serial"})


@pytest.fixture
def fleet(monkeypatch: pytest.MonkeyPatch, intent: DeviceIntent) -> dict[str, Any]:
    switches = {"leaf1": FakeSonic("leaf1")}

    def runner_for(task: Any, _intent: DeviceIntent) -> FakeSonic:
        if task.host.name not in switches:
            raise DeviceError(task.host.name, "connect", "127.0.0.1:1 unreachable (TCP connection to device failed.)")
        return switches[task.host.name]

    monkeypatch.setattr(tasks, "runner_for", runner_for)
    intents = {"leaf1": intent, "leaf2": intent.model_copy(update={"name": "leaf2"})}
    return {"switches": switches, "intents": intents}


def test_plan_per_host_failure_does_not_stop_others(nr: Nornir, fleet: dict[str, Any]) -> None:
    result = nr.run(task=tasks.plan_task, intents=fleet["intents"])
    assert isinstance(result["leaf1"][0].result, ChangePlan)
    assert result["leaf1"][0].changed is True
    assert "pfc_enable: '3,4' -> '3'" in result["leaf1"][0].diff
    assert result["leaf2"].failed
    assert "unreachable" in str(result["leaf2"][0].exception)


def test_gather_counts_two_round_trips(nr: Nornir, fleet: dict[str, Any]) -> None:
    result = nr.filter(name="leaf1").run(task=tasks.gather_task, intents=fleet["intents"])
    assert isinstance(result["leaf1"][0].result, DeviceState)
    assert result["leaf1"][0].round_trips == 2


def test_apply_marks_rolled_back_devices_failed(nr: Nornir, fleet: dict[str, Any]) -> None:
    fleet["switches"]["leaf1"].refuse_tables = {"WRED_PROFILE"}
    result = nr.filter(name="leaf1").run(task=tasks.apply_task, intents=fleet["intents"], opts=ApplyOptions())
    outcome = result["leaf1"][0].result
    assert isinstance(outcome, ApplyOutcome)
    assert outcome.status is ApplyStatus.rolled_back
    assert result["leaf1"].failed


def test_apply_converges(nr: Nornir, fleet: dict[str, Any]) -> None:
    result = nr.filter(name="leaf1").run(task=tasks.apply_task, intents=fleet["intents"], opts=ApplyOptions())
    assert result["leaf1"][0].result.status is ApplyStatus.applied
    assert not result["leaf1"].failed
    again = nr.filter(name="leaf1").run(task=tasks.plan_task, intents=fleet["intents"])
    assert again["leaf1"][0].result.empty


def test_device_without_intent_is_a_clear_failure(nr: Nornir, fleet: dict[str, Any]) -> None:
    result = nr.filter(name="leaf1").run(task=tasks.plan_task, intents={})
    assert "leaf1: no intent" in str(result["leaf1"][0].exception)
