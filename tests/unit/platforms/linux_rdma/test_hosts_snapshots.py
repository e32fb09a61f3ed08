"""Host confirm/rollback after a successful apply: the before-snapshot kept on the host (twin files)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from host_fixtures import TwinRunner, host_intent, twin_host

from agent.errors import DeviceError
from agent.platforms.base import ApplyOptions, ApplyStatus
from agent.platforms.linux_rdma.adapter import HostAdapter
from agent.platforms.linux_rdma.apply import ApplySettings
from agent.platforms.linux_rdma.snapshots import KEEP, STATE_DIR
from agent.state import DeviceState
from rocelab.host.twin import HostTwin

PENDING = f"{STATE_DIR}/pending"
INDEX = f"{STATE_DIR}/index.json"


def _adapter(clock: Any) -> HostAdapter:
    return HostAdapter(ApplySettings(link_timeout_s=30.0, poll_interval_s=0.5, sleep=clock.sleep, clock=clock))


def config_view(state: DeviceState) -> dict[str, Any]:
    """Everything gathered except what moves on its own (counters, read time) and the DCBX owner: `dcb`
    can take DCBX from the firmware but not hand it back (reference host-nic.md: `mlnx_qos -d fw` does),
    so a rollback leaves it OS-controlled and says so; asserted separately."""
    doc = state.model_dump(exclude={"gathered_at"})
    for port in doc["ports"].values():
        port.pop("counters", None)
        if port.get("nic"):
            port["nic"].pop("rdma_counters", None)
            port["nic"].pop("dcbx_owner", None)
    return doc


def _observe(adapter: HostAdapter, runner: TwinRunner) -> dict[str, Any]:
    return config_view(adapter.normalize("host1", adapter.gather(runner, host_intent())))


def _apply(adapter: HostAdapter, runner: TwinRunner, txid: str, timeout: int | None) -> Any:
    intent = host_intent()
    plan = adapter.plan(intent, adapter.gather(runner, intent))
    return adapter.apply(runner, intent, plan, ApplyOptions(confirm_timeout_s=timeout, txid=txid))


def _file(twin: HostTwin, path: str) -> str | None:
    data = twin.user_file(path)
    return None if data is None else data.decode()


def test_a_pending_apply_is_rolled_back_to_the_exact_before_state_from_the_snapshot_on_the_host() -> None:
    twin, runner, clock = twin_host()
    adapter = _adapter(clock)
    before = _observe(adapter, runner)

    outcome = _apply(adapter, runner, "roce-agent-20261121T220000Z-aaaaaa", timeout=60)

    assert outcome.status is ApplyStatus.pending_confirm, outcome.detail
    assert "no host-side timer" in outcome.detail
    assert outcome.checkpoint == "roce-agent-20261121T220000Z-aaaaaa"
    assert _file(twin, PENDING) == "roce-agent-20261121T220000Z-aaaaaa\n"
    snap = json.loads(_file(twin, f"{STATE_DIR}/snapshot-roce-agent-20261121T220000Z-aaaaaa.json") or "{}")
    assert "pfc" in snap["touched"]["eth1"]
    assert _observe(adapter, runner) != before

    assert adapter.rollback(runner) == "roce-agent-20261121T220000Z-aaaaaa"

    assert _observe(adapter, runner) == before
    nic = adapter.normalize("host1", adapter.gather(runner, host_intent())).ports["eth1"].nic
    assert nic is not None
    assert nic.dcbx_owner == "host"  # see config_view
    assert _file(twin, PENDING) is None
    assert adapter.confirm(runner) is None  # nothing pending any more
    assert adapter.rollback(runner) == "roce-agent-20261121T220000Z-aaaaaa"  # again: same state, no harm
    assert _observe(adapter, runner) == before


def test_a_confirmed_apply_can_still_be_undone_and_only_the_last_snapshots_are_kept() -> None:
    twin, runner, clock = twin_host()
    adapter = _adapter(clock)
    before = _observe(adapter, runner)
    txids = [f"roce-agent-20261121T2200{n:02d}Z-bbbbbb" for n in range(KEEP + 1)]
    for txid in txids:
        pending = _apply(adapter, runner, txid, timeout=60)
        assert pending.status is ApplyStatus.pending_confirm, pending.detail
        assert adapter.confirm(runner) == txid
        assert _file(twin, PENDING) is None
        assert adapter.rollback(runner) == txid  # undo, so the next apply has something to do
        assert _observe(adapter, runner) == before

    assert json.loads(_file(twin, INDEX) or "[]") == txids[-KEEP:]
    assert _file(twin, f"{STATE_DIR}/snapshot-{txids[0]}.json") is None
    assert _file(twin, f"{STATE_DIR}/snapshot-{txids[-1]}.json") is not None


def test_an_apply_without_confirm_timeout_confirms_at_once_and_rollback_restores_it() -> None:
    twin, runner, clock = twin_host()
    adapter = _adapter(clock)
    before = _observe(adapter, runner)

    outcome = _apply(adapter, runner, "roce-agent-20261121T221000Z-cccccc", timeout=None)

    assert outcome.status is ApplyStatus.applied, outcome.detail
    assert _file(twin, PENDING) is None
    assert json.loads(_file(twin, INDEX) or "[]") == ["roce-agent-20261121T221000Z-cccccc"]
    assert adapter.rollback(runner) == "roce-agent-20261121T221000Z-cccccc"
    assert _observe(adapter, runner) == before


def test_a_failed_apply_that_undid_itself_leaves_no_snapshot_or_marker() -> None:
    twin, runner, clock = twin_host()
    adapter = _adapter(clock)
    twin.inject_fault("fail-command", {"pattern": "dcb ets set"})

    outcome = _apply(adapter, runner, "roce-agent-20261121T222000Z-dddddd", timeout=60)

    assert outcome.status is ApplyStatus.rolled_back, outcome.detail
    assert _file(twin, PENDING) is None
    assert _file(twin, f"{STATE_DIR}/snapshot-roce-agent-20261121T222000Z-dddddd.json") is None
    assert adapter.rollback(runner) is None  # nothing to undo


class NoUploadRunner(TwinRunner):
    def upload(self, path: str, data: bytes) -> None:
        raise DeviceError(self.device, f"upload {path}", "SFTP failed (Permission denied)")


def test_a_host_that_cannot_keep_the_snapshot_is_not_touched() -> None:
    twin, _, clock = twin_host()
    runner = NoUploadRunner(twin)
    adapter = _adapter(clock)
    before = _observe(adapter, runner)

    outcome = _apply(adapter, runner, "roce-agent-20261121T223000Z-eeeeee", timeout=60)

    assert outcome.status is ApplyStatus.rolled_back
    assert "nothing changed: cannot keep the before-snapshot" in outcome.detail
    assert "Permission denied" in outcome.detail
    assert _observe(adapter, runner) == before


def test_a_rollback_that_cannot_be_proven_raises() -> None:
    twin, runner, clock = twin_host()
    adapter = _adapter(clock)
    assert _apply(adapter, runner, "roce-agent-20261121T224000Z-ffffff", timeout=60).status is (
        ApplyStatus.pending_confirm
    )
    twin.inject_fault("fail-command", {"pattern": "dcb pfc set"})

    with pytest.raises(DeviceError, match="ROLLBACK INCOMPLETE"):
        adapter.rollback(runner)

    assert _file(twin, PENDING) == "roce-agent-20261121T224000Z-ffffff\n"  # still there to try again
