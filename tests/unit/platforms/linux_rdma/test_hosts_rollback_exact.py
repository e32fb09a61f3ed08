"""A host rollback returns the exact before state, byte for byte in `dcb -j ... show`, or says what it could
not restore (issue 13: ETS tc_bw ended [0,...] instead of [100,...] while reporting rolled_back)."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest
from host_fixtures import TwinRunner, host_intent, raw_from, twin_host

from agent.platforms.base import ApplyOptions, ApplyStatus
from agent.platforms.linux_rdma.adapter import HostAdapter
from agent.platforms.linux_rdma.apply import ApplySettings
from agent.platforms.linux_rdma.gather import native_from_raw
from agent.platforms.linux_rdma.snapshots import INEXACT, restore_gaps
from rocelab.host import dcb_driver
from rocelab.host.nic import Ets, Nic

TXID = "roce-agent-20261206T220000Z-bbbbbb"
DCB_VIEWS = ("ets", "app", "buffer", "dcbx")  # pfc is compared without its frame counters


def dcb_json(runner: TwinRunner) -> dict[str, Any]:
    views: dict[str, Any] = {o: json.loads(runner.run(f"dcb -j {o} show dev eth1").output) for o in DCB_VIEWS}
    pfc = json.loads(runner.run("dcb -j pfc show dev eth1").output)
    views["pfc"] = {k: v for k, v in pfc.items() if k not in ("requests", "indications")}
    views.pop("dcbx")  # dcb cannot hand DCBX back to the firmware; the rollback says so (test_hosts_snapshots)
    return views


def apply_then_rollback(runner: TwinRunner, clock: Any) -> str | None:
    adapter = HostAdapter(ApplySettings(link_timeout_s=30.0, poll_interval_s=0.5, sleep=clock.sleep, clock=clock))
    intent = host_intent()
    plan = adapter.plan(intent, adapter.gather(runner, intent))
    outcome = adapter.apply(runner, intent, plan, ApplyOptions(confirm_timeout_s=60, txid=TXID))
    assert outcome.status is ApplyStatus.pending_confirm, outcome.detail
    return adapter.rollback(runner)


def test_an_mlx5_rollback_leaves_every_dcb_object_exactly_as_before() -> None:
    _, runner, clock = twin_host()
    before = dcb_json(runner)
    assert before["ets"]["tc_bw"] == [100] * 8  # mlx5e_ets_init: vendor TSA at 100 %

    assert apply_then_rollback(runner, clock) == TXID  # nothing to report: exact

    assert dcb_json(runner) == before


def test_a_driver_that_keeps_the_zeros_dcb_writes_is_reported_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """A driver storing tc-bw as sent (not mlx5's 100 % on strict/vendor TCs): `dcb` cannot write 100 there."""

    def keep_as_written(nic: Nic, ets: Ets) -> int:
        nic.ets = Ets(tc_bw=ets.tc_bw, tc_tsa=ets.tc_tsa, prio_tc=ets.prio_tc)
        return 0

    _, runner, clock = twin_host()
    monkeypatch.setattr(dcb_driver, "set_ets", keep_as_written)

    restored = apply_then_rollback(runner, clock)

    assert restored is not None
    assert restored.startswith(TXID)
    assert f"{INEXACT}eth1: ets tc-bw reads [0, 0, 0, 0, 0, 0, 0, 0], the snapshot had [100, 100" in restored


def test_restore_gaps_compare_what_the_restore_diff_does_not() -> None:
    before = native_from_raw(raw_from("mlx5_default"))
    after = copy.deepcopy(before)
    nic = after.nics["eth1"]
    assert nic.ets is not None
    assert nic.app is not None
    nic.ets = dataclasses.replace(nic.ets, bw=(0,) * 8)
    nic.app = dataclasses.replace(nic.app, default_prio=(5,))
    gaps = restore_gaps(before, after, {"eth1": {"ets", "app_replace"}})
    assert [g.split(":")[1].strip() for g in gaps] == ["eth1", "eth1"]
    assert "ets tc-bw reads [0, 0, 0, 0, 0, 0, 0, 0]" in gaps[0]
    assert "app default-prio/other selectors read [5]/" in gaps[1]
    assert restore_gaps(before, after, {"eth1": {"pfc"}}) == []  # only what the apply touched
