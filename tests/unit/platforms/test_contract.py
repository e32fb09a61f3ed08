"""The platform contract (docs/platform-contract.md), held against every registered platform.

Like napalm's driver test suite: one set of tests, parametrised over the platforms registered in the
`roce_agent.platforms` entry point group. Each test says which promise of the contract it checks; a
new platform passes by registering itself and adding its case (contract_cases.py) and scenarios.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.errors import ParseError
from agent.platforms import registry
from agent.platforms.base import ApplyOptions, ApplyStatus, PlatformAdapter

from .contract_cases import CASES, Case, Rig

PLATFORMS = registry.platforms()
CONTRACT_METHODS = [
    "connect",
    "gather",
    "load_raw",
    "raw_json",
    "load_operations",
    "normalize",
    "plan",
    "apply",
    "confirm",
    "rollback",
]


def _case(platform: str) -> Case:
    assert platform in CASES, f"platform {platform!r} is registered but has no contract case in contract_cases.py"
    return CASES[platform]


def _scenarios() -> list[tuple[str, Path]]:
    return [(p, path) for p in PLATFORMS for path in _case(p).scenarios]


def _subset_mismatches(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where `actual` differs from `expected`, looking only at the keys `expected` names."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where or '/'}: expected an object, got {actual!r}"]
        out: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{where}/{key}: missing")
            else:
                out += _subset_mismatches(value, actual[key], f"{where}/{key}")
        return out
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


def test_the_shipped_platforms_are_registered_by_entry_point() -> None:
    assert {"sonic", "linux-rdma"} <= set(PLATFORMS)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_adapter_implements_every_method_of_the_protocol_with_its_signature(platform: str) -> None:
    adapter = registry.adapter_for(platform)
    assert isinstance(adapter, PlatformAdapter)
    assert isinstance(adapter, _case(platform).adapter_class)
    assert adapter.name == platform
    for method in CONTRACT_METHODS:
        want = inspect.signature(getattr(PlatformAdapter, method)).parameters
        got = inspect.signature(getattr(adapter, method)).parameters
        want_names = [n for n in want if n != "self"]
        assert list(got)[: len(want_names)] == want_names, f"{platform}.{method}{tuple(got)}: expected {want_names}"
        for name in want_names:
            assert got[name].kind == want[name].kind, f"{platform}.{method}: {name} is {got[name].kind}"
        extra = list(got)[len(want_names) :]
        assert all(got[n].default is not inspect.Parameter.empty for n in extra), f"{platform}.{method}: {extra}"


@pytest.mark.parametrize(("platform", "path"), _scenarios(), ids=lambda v: getattr(v, "stem", v))
def test_fixture_scenario_normalises_to_the_expected_device_state(platform: str, path: Path) -> None:
    doc = json.loads(path.read_text())
    adapter = registry.adapter_for(platform)
    raw = adapter.load_raw(str(doc["expect"]["name"]), doc["raw"])
    state = adapter.normalize(str(doc["expect"]["name"]), raw)
    mismatches = _subset_mismatches(doc["expect"], state.model_dump(mode="json"))
    assert not mismatches, f"{path.name}: " + "; ".join(mismatches)
    assert json.loads(json.dumps(adapter.raw_json(raw))) == doc["raw"]  # the saved form reads back unchanged


@pytest.mark.parametrize(("platform", "path"), _scenarios(), ids=lambda v: getattr(v, "stem", v))
def test_plan_is_empty_exactly_for_a_converged_scenario(platform: str, path: Path) -> None:
    doc = json.loads(path.read_text())
    case = _case(platform)
    adapter = registry.adapter_for(platform)
    plan = adapter.plan(case.intent(), adapter.load_raw(str(doc["expect"]["name"]), doc["raw"]))
    assert plan.empty is doc["converged"], plan.lines
    assert plan.platform == platform
    assert plan.base_fingerprint
    assert json.loads(json.dumps(plan.operations_json())) == plan.operations_json()  # plain JSON for trails


@pytest.mark.parametrize(("platform", "path"), _scenarios(), ids=lambda v: getattr(v, "stem", v))
def test_planned_operations_read_back_from_their_json_are_the_same_operations(platform: str, path: Path) -> None:
    doc = json.loads(path.read_text())
    adapter = registry.adapter_for(platform)
    plan = adapter.plan(_case(platform).intent(), adapter.load_raw(str(doc["expect"]["name"]), doc["raw"]))
    text = json.dumps(plan.operations_json())
    assert adapter.load_operations(plan.device, json.loads(text)) == plan.operations


@pytest.mark.parametrize("platform", PLATFORMS)
def test_junk_operations_are_a_parse_error_naming_the_device(platform: str) -> None:
    adapter = registry.adapter_for(platform)
    for junk in ({"op": "add"}, [{"kind": "reboot", "op": "move", "path": "/x"}], [42]):
        with pytest.raises(ParseError, match="dev9"):
            adapter.load_operations("dev9", junk)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_platform_has_a_converged_and_an_unconverged_scenario(platform: str) -> None:
    flags = {json.loads(p.read_text())["converged"] for p in _case(platform).scenarios}
    assert flags == {True, False}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_junk_raw_state_is_a_parse_error_naming_the_device(platform: str) -> None:
    adapter = registry.adapter_for(platform)
    for junk in ({"device": "dev9"}, ["not", "an", "object"], "text"):
        with pytest.raises(ParseError, match="dev9"):
            adapter.load_raw("dev9", junk)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_gather_stays_within_its_round_trip_budget(platform: str) -> None:
    case = _case(platform)
    rig = case.rig()
    before = rig.runner.round_trips
    rig.adapter.gather(rig.runner, case.intent())
    assert rig.runner.round_trips - before <= case.gather_round_trips


def _converge(case: Case, rig: Rig) -> Any:
    intent = case.intent()
    plan = rig.adapter.plan(intent, rig.adapter.gather(rig.runner, intent))
    assert not plan.empty
    return rig.adapter.apply(rig.runner, intent, plan, ApplyOptions(txid="roce-agent-20261206T220000Z-c0ffee"))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_apply_converges_then_the_plan_is_empty_and_a_second_apply_is_unchanged(platform: str) -> None:
    case = _case(platform)
    rig = case.rig()
    outcome = _converge(case, rig)
    assert outcome.status is ApplyStatus.applied, outcome.detail
    intent = case.intent()
    again = rig.adapter.plan(intent, rig.adapter.gather(rig.runner, intent))
    assert again.empty, again.lines
    assert rig.adapter.apply(rig.runner, intent, again, ApplyOptions()).status is ApplyStatus.unchanged


def _fault_cases() -> list[tuple[str, str]]:
    return [(p, f) for p in PLATFORMS for f in _case(p).faults]


@pytest.mark.parametrize(("platform", "fault"), _fault_cases())
def test_apply_ends_in_the_before_or_the_after_state_never_between(platform: str, fault: str) -> None:
    case = _case(platform)
    rig = case.rig()
    intent = case.intent()
    plan = rig.adapter.plan(intent, rig.adapter.gather(rig.runner, intent))
    rig.arm(fault)
    outcome = rig.adapter.apply(rig.runner, intent, plan, ApplyOptions())
    after = rig.adapter.plan(intent, rig.adapter.gather(rig.runner, intent))
    back_to_before = after.base_fingerprint == plan.base_fingerprint
    if outcome.status is ApplyStatus.applied:
        assert after.empty, f"{fault}: applied but still differs: {after.lines}"
    else:
        assert outcome.status is ApplyStatus.rolled_back, f"{fault}: {outcome.status}: {outcome.detail}"
        assert back_to_before, f"{fault}: rolled back but not to the before state: {after.lines}"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_confirm_and_rollback_with_nothing_to_undo_return_none(platform: str) -> None:
    rig = _case(platform).rig()
    assert rig.adapter.confirm(rig.runner) is None
    assert rig.adapter.rollback(rig.runner) is None


@pytest.mark.parametrize("platform", PLATFORMS)
def test_rollback_after_a_pending_apply_restores_the_before_state(platform: str) -> None:
    case = _case(platform)
    rig = case.rig()
    intent = case.intent()
    plan = rig.adapter.plan(intent, rig.adapter.gather(rig.runner, intent))
    outcome = rig.adapter.apply(rig.runner, intent, plan, ApplyOptions(confirm_timeout_s=300))
    assert outcome.status is ApplyStatus.pending_confirm, outcome.detail
    assert rig.adapter.rollback(rig.runner) is not None
    assert rig.adapter.plan(intent, rig.adapter.gather(rig.runner, intent)).base_fingerprint == plan.base_fingerprint
    assert rig.adapter.confirm(rig.runner) is None  # nothing pending any more


def test_an_unknown_platform_is_a_clear_error_naming_the_registered_ones() -> None:
    with pytest.raises(registry.UnknownPlatform) as caught:
        registry.adapter_for("junos")
    assert "'junos'" in str(caught.value)
    assert "roce_agent.platforms" in str(caught.value)
    assert all(p in str(caught.value) for p in PLATFORMS)
    assert registry.unavailable("junos") == "no adapter for platform 'junos'"
    assert registry.unavailable("sonic") is None


def test_the_registry_imports_no_adapter_until_one_is_asked_for() -> None:
    code = (
        "import sys, agent.platforms.registry as r, agent.platforms.tasks;"
        "assert not [m for m in sys.modules if m.startswith(('agent.platforms.sonic', 'agent.platforms.linux_rdma'))];"
        "r.adapter_for('linux-rdma');"
        "assert 'agent.platforms.linux_rdma.adapter' in sys.modules;"
        "assert 'agent.platforms.sonic.adapter' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_platform_tasks_do_not_import_the_rollout_package() -> None:
    code = "import sys, agent.platforms.tasks; assert not [m for m in sys.modules if m.startswith('agent.rollout')]"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_registered_object_that_is_not_an_adapter_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.OVERRIDES, "half-done", "agent.platforms.sonic.patch:pointer")
    with pytest.raises(TypeError, match=r"agent\.platforms\.sonic\.patch:pointer .*'half-done'.* PlatformAdapter"):
        registry.adapter_for("half-done")


def test_the_scenario_comparison_sees_a_wrong_value_a_missing_key_and_a_wrong_type() -> None:
    """The suite's own yardstick: an expectation the state does not meet is reported, never passed over."""
    state = {"ports": {"eth1": {"mtu": 9000, "dscp_to_priority": {"26": 3}}}}
    assert _subset_mismatches({"ports": {"eth1": {"mtu": 9000}}}, state) == []
    assert _subset_mismatches({"ports": {"eth1": {"mtu": 1500}}}, state) == ["/ports/eth1/mtu: expected 1500, got 9000"]
    assert _subset_mismatches({"ports": {"eth2": {}}}, state) == ["/ports/eth2: missing"]
    assert _subset_mismatches({"ports": {"eth1": {"mtu": {"x": 1}}}}, state) == [
        "/ports/eth1/mtu: expected an object, got 9000"
    ]
