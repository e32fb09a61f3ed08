"""The agent against twins of real fresh images per release x HwSKU: the plan the pre-flight chose is one
GCU accepts (no refusal discovered half-way), converges, flaps only what it said, and rolls back.

The agent (releases.py / preflight.py) and the twin (gcu_validators.py) each carry the real rules read
from sonic-utilities; neither is the other's oracle, but a disagreement between them fails here."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent.intent import DeviceIntent
from agent.platforms.base import ApplyOptions, ApplyStatus
from agent.platforms.sonic.adapter import SonicAdapter
from agent.platforms.sonic.transaction import TxSettings, comparable
from rocelab.sonic.twin import SonicTwin

from .sonic_twin_runner import TwinRunner

ADAPTER = SonicAdapter(TxSettings(verify_attempts=2, verify_interval_s=0, sleep=lambda _s: None))
SKUS = {"Force10-S6000": "broadcom", "ACS-MSN2700": "mellanox", "ACS-SN5600": "mellanox"}
SKUS["Arista-7060X6-16PE-384C-B-O128S2"] = "broadcom"


def config_db(twin: SonicTwin) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(twin.run("sonic-cfggen -d --print-data", sudo=False).stdout)
    return doc


def first_boot(twin: SonicTwin, hwsku: str, version: str) -> None:
    """What a community image has before `pfcwd start_default`: no PFC_WD rows, default status disable."""
    twin.sonic_version, twin.asic_type = version, SKUS[hwsku]
    twin.gcu.change_cost_s = 0.0
    twin.config.hset("DEVICE_METADATA|localhost", {"hwsku": hwsku, "default_pfcwd_status": "disable"})
    for key in [k for k in twin.config.rows if k.startswith("PFC_WD|")]:
        twin.config.delete(key)
    if version < "SONiC.20230":  # 202211: no WRED_ECN_QUEUE group in its YANG, so no such row
        twin.config.delete("FLEX_COUNTER_TABLE|WRED_ECN_QUEUE")


@pytest.mark.parametrize("hwsku", list(SKUS))
@pytest.mark.parametrize("version", ["SONiC.20230531.22", "SONiC.20250510.10", "SONiC.20251120.01"])
def test_fresh_image_converges_without_a_gcu_refusal(
    runner: TwinRunner, twin: SonicTwin, intent: DeviceIntent, hwsku: str, version: str
) -> None:
    first_boot(twin, hwsku, version)
    raw = ADAPTER.gather(runner, intent)
    if hwsku.startswith("Arista-7060X6") and version < "SONiC.20250":
        with pytest.raises(Exception, match="refuses every PFC_WD change"):
            ADAPTER.plan(intent, raw)
        return
    plan = ADAPTER.plan(intent, raw)
    assert any(line.startswith("then: sudo pfcwd start") for line in plan.lines)
    out = ADAPTER.apply(runner, intent, plan, ApplyOptions())
    assert out.status is ApplyStatus.applied, out.detail
    assert "GCU refused" not in out.detail
    assert ADAPTER.plan(intent, ADAPTER.gather(runner, intent)).empty
    flapped = sorted({t.split()[-5] for _, t in twin.syslog if "admin status to down" in t})
    assert flapped == sorted(plan.disruptive)
    assert f"GCU flapped {', '.join(plan.disruptive)} (admin down, then up)" in out.events
    assert any(w.startswith("GCU: about ") for w in plan.warnings)


def test_202211_yang_gets_no_wred_ecn_queue_group_and_no_empty_pfc_enable(
    runner: TwinRunner, twin: SonicTwin, intent: DeviceIntent
) -> None:
    first_boot(twin, "Force10-S6000", "SONiC.20221130.05")
    plan = ADAPTER.plan(intent, ADAPTER.gather(runner, intent))
    assert not any("WRED_ECN_QUEUE" in op["path"] for op in plan.operations)
    assert not any(op.get("value") == "" for op in plan.operations)
    out = ADAPTER.apply(runner, intent, plan, ApplyOptions())
    assert out.status is ApplyStatus.applied, out.detail


def test_pfcwd_cli_writes_are_rolled_back_with_the_patch(
    runner: TwinRunner, twin: SonicTwin, intent: DeviceIntent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pfcwd CLI runs after the checkpoint, so `config rollback` (GCU may remove the whole PFC_WD
    table on a listed ASIC) takes its rows away again."""
    twin = SonicTwin("leaf1", twin.ports, sku="Force10-S6000")  # no 400G rows: no lossless PG, verification fails
    runner = TwinRunner(twin)
    hidden = twin.read_file  # and the pre-flight cannot read the lookup, so it only warns
    monkeypatch.setattr(
        twin, "read_file", lambda path: None if path.endswith("pg_profile_lookup.ini") else hidden(path)
    )
    first_boot(twin, "Force10-S6000", "SONiC.20251120.01")
    before = config_db(twin)
    plan = ADAPTER.plan(intent, ADAPTER.gather(runner, intent))
    out = ADAPTER.apply(runner, intent, plan, ApplyOptions())
    assert out.status is ApplyStatus.rolled_back, out.detail
    assert any(e.startswith("CLI: pfcwd start") for e in out.events)
    assert comparable(config_db(twin)) == comparable(before)
    assert "PFC_WD" not in config_db(twin)
