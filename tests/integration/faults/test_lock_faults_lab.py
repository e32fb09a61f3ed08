"""A session dropped after command k of an apply never strands the device lock (issue 13).

The k values are the held-out matrix's: switch after `sonic-cfggen` (k=3 of 17) and after `config
checkpoint` (k=8), host after k=4 and k=21 of 23. The lab's twins drop the SSH session on command k
(`lab fault DEV drop-after-commands k=N`); the next apply must not be refused by a lock left behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.inventory.loader import load_nornir
from agent.platforms.tasks import ssh_target
from agent.rollout.locks import DEFAULT_DEVICE_LOCK, DeviceLock
from agent.transports.ssh import NetmikoRunner
from rocelab.control import request
from rocelab.paths import LabPaths
from tests.integration.rocelab.conftest import running_lab

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"
cli = CliRunner()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    root = tmp_path_factory.mktemp("lockfaults")
    with running_lab(root, POLICY) as inventory:
        yield root / ".lab", inventory


def lock_present(inventory: Path, device: str) -> bool:
    runner = NetmikoRunner.connect(ssh_target(load_nornir(inventory).inventory.hosts[device]))
    try:
        return DeviceLock(runner, DEFAULT_DEVICE_LOCK).read()[0]
    finally:
        runner.close()


@pytest.mark.parametrize(("device", "k"), [("leaf1", 3), ("leaf2", 8), ("host1", 4), ("host2", 21)])
def test_dropped_session_during_apply_leaves_no_lock_and_the_next_apply_runs(
    lab: tuple[Path, Path], device: str, k: int
) -> None:
    state_dir, inventory = lab
    armed = request(LabPaths(state_dir), {"op": "fault", "device": device, "kind": "drop-after-commands",
                                          "options": {"k": str(k)}})  # fmt: skip
    assert armed.get("ok"), armed
    first = cli.invoke(app, ["apply", "-i", str(inventory), "--limit", device, "--yes"])
    assert "session" in first.output, first.output  # the drop really hit this apply

    assert not lock_present(inventory, device)
    second = cli.invoke(app, ["apply", "-i", str(inventory), "--limit", device, "--yes"])
    assert "locked by" not in second.output
    assert second.exit_code == 0, second.output
