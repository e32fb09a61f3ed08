"""A session dropped after command k of an apply never strands the device lock (issue 13).

The k values are the held-out matrix's points: switch on its prepare line, which takes the lock (k=2
of 4: read + lock, prepare + take, commit, confirm + release; it was k=3 of 9 when the lock cost four
commands of its own) and on the commit line (k=3: checkpoint && timer && apply-patch; k=6 of 9
before), host on its snapshot read (k=4 of 7) and its change line (k=5: pending && writes && link
waits, then the re-read; it was k=21 of 23 when each write and each link poll was a round trip). The
lab's twins drop the SSH session on command k (`lab fault DEV drop-after-commands k=N`); the next
apply must not be refused by a lock left behind.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.inventory.loader import load_nornir
from agent.platforms.tasks import ssh_target
from agent.rollout.locks import DEFAULT_DEVICE_LOCK, DeviceLock, LockInfo
from agent.transports.ssh import NetmikoRunner
from rocelab.control import request
from rocelab.paths import LabPaths
from tests.integration.rocelab.conftest import running_lab

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"
PLAYBOOK = ROOT / "tests" / "fixtures" / "rollout" / "playbooks" / "lab.yaml"
DEAD_PID = 2**22 + 4243  # above Linux's pid_max: no such process
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


@pytest.mark.parametrize(("device", "k"), [("leaf1", 2), ("leaf2", 3), ("host1", 4), ("host2", 5)])
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


def plant_lock(inventory: Path, device: str, holder: LockInfo) -> None:
    runner = NetmikoRunner.connect(ssh_target(load_nornir(inventory).inventory.hosts[device]))
    try:
        runner.upload(DEFAULT_DEVICE_LOCK, (holder.to_json() + "\n").encode())
    finally:
        runner.close()


def test_a_crashed_applys_lock_is_reclaimed_and_said_so(lab: tuple[Path, Path]) -> None:
    _, inventory = lab
    me = LockInfo.new("x", "roce-agent apply", 1).owner  # this machine, so the dead pid can be checked
    crashed = LockInfo(me, DEAD_PID, "roce-agent-20261206T000000Z-dead00", "roce-agent apply", time.time(), 2e9)
    plant_lock(inventory, "host3", crashed)

    result = cli.invoke(app, ["apply", "-i", str(inventory), "--limit", "host3", "--yes"])

    assert result.exit_code == 0, result.output
    assert f"reclaimed the stale lock of {me} pid {DEAD_PID} txid {crashed.txid}" in result.output
    assert not lock_present(inventory, "host3")


def test_a_stopped_rollouts_lock_is_kept_until_broken_by_its_txid(lab: tuple[Path, Path]) -> None:
    _, inventory = lab
    me = LockInfo.new("x", "roce-agent apply", 1).owner
    stopped = LockInfo(me, DEAD_PID, "roce-agent-20261206T000000Z-roll00", "lab-rollout", time.time(), 2e9)
    plant_lock(inventory, "host4", stopped)

    refused = cli.invoke(app, ["apply", "-i", str(inventory), "--limit", "host4", "--yes"])
    assert refused.exit_code == 1, refused.output
    assert f"--break-lock host4={stopped.txid}" in refused.output

    wrong = cli.invoke(app, ["rollout", str(PLAYBOOK), "-i", str(inventory), "--break-lock", "host4=roce-agent-x"])
    assert wrong.exit_code == 2, wrong.output
    assert lock_present(inventory, "host4")
    broken = cli.invoke(app, ["rollout", str(PLAYBOOK), "-i", str(inventory), "--break-lock", f"host4={stopped.txid}"])
    assert broken.exit_code == 0, broken.output
    assert not lock_present(inventory, "host4")


DRIFT = {
    "spine1": "sudo sonic-db-cli CONFIG_DB hset 'PORT_QOS_MAP|Ethernet0' pfc_enable 4",
    "host2": "sudo dcb pfc set dev eth1 prio-pfc 3:off",
}


def drift(inventory: Path, device: str) -> None:
    """An out-of-band change, so the next apply has a transaction to run (and a session to lose)."""
    runner = NetmikoRunner.connect(ssh_target(load_nornir(inventory).inventory.hosts[device]))
    try:
        runner.run(DRIFT[device])
    finally:
        runner.close()


@pytest.mark.parametrize(("device", "last_k", "hits"), [("spine1", 7, 3), ("host2", 12, 6)])
def test_an_apply_dropped_after_every_k_strands_nothing(
    lab: tuple[Path, Path], device: str, last_k: int, hits: int
) -> None:
    """Issue 13's matrix is "a disconnect after every k of n commands", not four chosen points: whatever
    line the session dies on (lock, read, prepare, commit, confirm, release), the lock is gone and the
    next apply converges the switch to an empty plan. A switch's drop after its last line (the confirm,
    k=4) cuts nothing short, so 3 of its k hit; k=5..7 check that nothing runs past it. A host's 7
    commands give 6 hits (its last, the lock's release, cuts nothing short either); k=8..12 likewise."""
    state_dir, inventory = lab
    hit = 0
    for k in range(1, last_k + 1):  # past the apply's round trips today (switch 4, host 7)
        drift(inventory, device)
        armed = request(LabPaths(state_dir), {"op": "fault", "device": device, "kind": "drop-after-commands",
                                              "options": {"k": str(k)}})  # fmt: skip
        assert armed.get("ok"), armed
        first = cli.invoke(app, ["apply", "-i", str(inventory), "--limit", device, "--yes"])
        hit += "session" in first.output
        # disarm a drop the apply did not reach (k past its last command) before the test's own reads
        request(LabPaths(state_dir), {"op": "fault", "device": device, "kind": "clear", "options": {}})
        assert not lock_present(inventory, device), f"k={k}: lock stranded\n{first.output}"
        second = cli.invoke(app, ["apply", "-i", str(inventory), "--limit", device, "--yes"])
        assert second.exit_code == 0, f"k={k}: {second.output}"
        plan = cli.invoke(app, ["plan", "-i", str(inventory), "--limit", device, "--detailed-exitcode"])
        assert plan.exit_code == 0, f"k={k}: not converged after the re-apply\n{plan.output}"
    assert hit >= hits, f"only {hit} of {last_k} drops hit an apply"  # the sweep really cut sessions short
