"""Staged rollout against the built-in lab: SONiC and RDMA-host twins over real SSH, a real lab process.

Each test starts its own lab (fresh devices) in a temp dir. Device state is judged through the agent's
own read path: a device's plan equals its initial plan (before state) or is empty (after state).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.platforms.tasks import ssh_target
from agent.rollout import orchestrate
from agent.rollout.locks import DEFAULT_DEVICE_LOCK, DeviceLock, LockInfo
from agent.rollout.progress import JsonProgress
from agent.rollout.runner import Hooks
from agent.rollout.session import make_fabric, open_rollout
from agent.state import DeviceState
from agent.transports.ssh import NetmikoRunner
from rocelab.control import lab_status, request
from rocelab.paths import LabPaths
from tests.integration.rocelab.conftest import LAB_NODES, free_base_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"
PLAYBOOK = ROOT / "tests" / "fixtures" / "rollout" / "playbooks" / "lab.yaml"
AUDIT = ROOT / "tests" / "fixtures" / "rollout" / "playbooks" / "audit-lab.yaml"
HOST_ROLLBACK = ROOT / "tests" / "fixtures" / "rollout" / "playbooks" / "lab-host-rollback.yaml"
HOSTS = ["host1", "host2", "host3", "host4"]  # the training pod's; the host stage's first two batches
PASSWORD = "rollout-it-Pw-5e1f0c"  # only ever used against the twins these tests start
DEVICES = [*(f"host{i}" for i in range(1, 7)), "leaf1", "leaf2", "leaf3", "spine1", "spine2"]  # both pods
cli = CliRunner()


@dataclass
class Lab:
    state_dir: Path
    inventory: Path

    @property
    def trail_path(self) -> Path:
        return self.inventory / ".state" / "trail.jsonl"

    def trail(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.trail_path.read_text().splitlines()]

    def rollout(self, *args: str) -> tuple[int, str]:
        result = cli.invoke(app, ["rollout", str(PLAYBOOK), "-i", str(self.inventory), *args])
        return result.exit_code, result.output

    def plans(self) -> dict[str, list[str]]:
        """Each device's plan lines right now (read-only)."""
        session = open_rollout(PLAYBOOK, self.inventory)
        out: dict[str, list[str]] = {}
        for stage in orchestrate.preview(session, make_fabric(session)):
            for batch in stage.batches:
                for d in batch:
                    assert d.error is None, f"{d.device}: {d.error}"
                    out[d.device] = d.plan.lines if d.plan else []
        return out

    def control(self, **payload: str) -> None:
        reply = request(LabPaths(self.state_dir), dict(payload))
        assert reply.get("ok", True), reply


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    state_dir, inventory = tmp_path / ".lab", tmp_path / "inventories" / "lab"
    monkeypatch.setenv("ROCE_AGENT_LAB_DIR", str(state_dir))
    monkeypatch.setenv("ROCE_AGENT_LAB_PASSWORD", PASSWORD)
    monkeypatch.setenv("ROCE_AGENT_PASSWORD", PASSWORD)
    args = ["lab", "up", str(TOPOLOGY), "--inventory", str(inventory), "--base-port", str(free_base_port(LAB_NODES))]
    result = cli.invoke(app, [*args, "--policy", str(POLICY)])
    assert result.exit_code == 0, result.output
    try:
        yield Lab(state_dir, inventory)
    finally:
        cli.invoke(app, ["lab", "down"])


def assert_before_or_after(now: dict[str, list[str]], before: dict[str, list[str]]) -> None:
    for device in DEVICES:
        assert now[device] in (before[device], []), f"{device} is half-configured: {now[device][:5]}"


def test_full_rollout_converges_idempotently_and_the_trail_holds_no_secret(lab: Lab) -> None:
    before = lab.plans()
    assert all(before[d] for d in DEVICES)  # every twin starts away from the policy

    code, out = lab.rollout("--yes", "--json")

    assert code == 0, out
    summary = json.loads(out.splitlines()[-1])
    assert summary["result"] == "converged"
    assert sorted(summary["after"]) == DEVICES
    assert lab.plans() == {key: [] for key in DEVICES}
    code, out = lab.rollout("--yes", "--json")
    assert code == 0, out
    assert sorted(json.loads(out.splitlines()[-1])["already_compliant"]) == DEVICES
    trail = lab.trail_path.read_text()
    assert PASSWORD not in trail
    assert PASSWORD not in out
    confirmed = [r["device"] for r in lab.trail() if r["event"] == "confirmed"]
    assert sorted(confirmed) == DEVICES  # switches (device-side timer) and hosts (snapshot on the host)


def test_storm_during_canary_soak_halts_and_rolls_the_canary_back(lab: Lab) -> None:
    before = lab.plans()

    def storm_then_wait(seconds: float) -> None:
        lab.control(op="traffic", device="leaf1", port="Ethernet0", pattern="storm")
        time.sleep(seconds)

    session = open_rollout(PLAYBOOK, lab.inventory)
    result = orchestrate.run(session, make_fabric(session), JsonProgress(io.StringIO()), Hooks(sleep=storm_then_wait))

    assert result.result == "halted"
    assert result.exit_code == 1
    summary = result.summary()
    assert list(summary["rolled_back"]) == ["leaf1"]
    assert "new PFC watchdog storms" in summary["rolled_back"]["leaf1"]
    now = lab.plans()
    assert_before_or_after(now, before)
    assert now == before  # the canary is back where it started; nobody else was touched


def test_device_refusing_the_patch_halts_the_canary_with_nothing_changed(lab: Lab) -> None:
    before = lab.plans()
    lab.control(op="fault", device="leaf1", kind="refuse-table", options={"table": "WRED_PROFILE"})  # type: ignore[arg-type]

    code, out = lab.rollout("--yes")

    assert code == 1
    assert "rollout halted" in out
    assert lab.plans() == before


def test_second_rollout_is_refused_while_one_runs(lab: Lab) -> None:
    first = subprocess.Popen(
        [sys.executable, "-m", "agent", "rollout", str(PLAYBOOK), "-i", str(lab.inventory), "--yes", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (lab.trail_path.exists() and "rollout_started" in lab.trail_path.read_text()):
            assert time.monotonic() < deadline, "the first rollout did not start"
            time.sleep(0.2)

        code, out = lab.rollout("--yes")

        assert code == 2
        assert "refused:" in out
        assert "is locked by" in out
        stdout, stderr = first.communicate(timeout=600)
        assert first.returncode == 0, stderr
        assert json.loads(stdout.splitlines()[-1])["result"] == "converged"
    finally:
        if first.poll() is None:
            first.kill()


def test_killed_rollout_refuses_a_fresh_run_and_resumes_from_its_trail(lab: Lab) -> None:
    argv = [sys.executable, "-m", "agent", "rollout", str(PLAYBOOK), "-i", str(lab.inventory), "--yes", "--json"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=dict(os.environ))
    assert proc.stdout is not None
    for line in proc.stdout:  # kill it while leaf2 (stage "leaves") soaks: applied, not yet confirmed
        event = json.loads(line)
        if event.get("event") == "waiting" and "leaf2" in str(event.get("for")):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not any(r["event"] == "rollout_finished" for r in lab.trail())

    code, out = lab.rollout("--yes")
    assert code == 2
    assert "--resume" in out

    code, out = lab.rollout("--resume", "--json")

    assert code == 0, out
    assert json.loads(out.splitlines()[-1])["result"] == "converged"
    undone = [r for r in lab.trail() if r["event"] == "rolled_back"]
    assert sorted(r["device"] for r in undone) == ["leaf2", "leaf3"]  # the leaves stage's one batch
    assert "interrupted" in str(undone[0]["reason"])
    applied = [r["device"] for r in lab.trail() if r["event"] == "applied"]
    assert applied.count("leaf1") == 1  # the canary finished before the kill and is not redone
    assert lab.plans() == {key: [] for key in DEVICES}


def test_precheck_playbook_validates_rolls_out_audits_and_writes_junit(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    ci = lab.inventory.parent.parent / "ci"  # next to inventories/lab, as the playbook expects
    ci.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "rollout" / "precheck" / "lab-ci.yaml", ci / "precheck.yaml")
    shutil.copy(PLAYBOOK, ci / "lab.yaml")
    shutil.copy(AUDIT, ci / "audit-lab.yaml")
    monkeypatch.chdir(ci)  # audit outputs are relative to the working directory

    result = cli.invoke(app, ["rollout", str(ci / "precheck.yaml")])

    assert result.exit_code == 0, result.output
    assert "ok   validate-policy" in result.output
    assert "ok   audit audit-lab.yaml" in result.output
    suite = ET.parse(ci / "results.xml").getroot()[0]
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "0", "0")
    assert json.loads((ci / "audit.json").read_text())["complies"] is True
    assert lab.plans() == {d: [] for d in DEVICES}
    assert lab_status(LabPaths(lab.state_dir)) is not None  # the running lab was reused and left running


def test_audit_playbook_reports_compliance_then_catches_an_out_of_band_change(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert lab.rollout("--yes")[0] == 0
    monkeypatch.chdir(tmp_path)
    audit = ["rollout", str(AUDIT), "-i", str(lab.inventory)]

    first = cli.invoke(app, audit)

    assert first.exit_code == 0, first.output
    assert json.loads((tmp_path / "audit.json").read_text())["complies"] is True
    assert ET.parse(tmp_path / "audit.xml").getroot().tag == "testsuites"
    assert "# TYPE" in (tmp_path / "lossless_audit.prom").read_text()

    session = open_rollout(PLAYBOOK, lab.inventory)
    leaf1 = NetmikoRunner.connect(ssh_target(session.nr.inventory.hosts["leaf1"]))
    try:
        leaf1.run("sudo sonic-db-cli CONFIG_DB hset 'PORT_QOS_MAP|Ethernet0' pfc_enable 4")
    finally:
        leaf1.close()

    second = cli.invoke(app, audit)

    assert second.exit_code == 1, second.output
    report = json.loads((tmp_path / "audit.json").read_text())
    assert report["complies"] is False
    assert any(f["device"] == "leaf1" and f["port"] == "Ethernet0" for f in report["findings"])


def config_view(state: DeviceState) -> dict[str, Any]:
    """A host's full gathered state without what moves on its own (counters, read time) and without the
    DCBX owner: `dcb` takes DCBX from the firmware but cannot hand it back (the rollback says so)."""
    doc = state.model_dump(exclude={"gathered_at"})
    for port in doc["ports"].values():
        port.pop("counters", None)
        if port.get("nic"):
            port["nic"].pop("rdma_counters", None)
            port["nic"].pop("dcbx_owner", None)
    return doc


def host_states(playbook: Path, inventory: Path) -> dict[str, dict[str, Any]]:
    session = open_rollout(playbook, inventory)
    fabric = make_fabric(session)
    return {h: config_view(fabric.observe(h)) for h in HOSTS}


@pytest.mark.parametrize("action", ["rollback-stage", "rollback-all"])
def test_failed_host_gate_returns_applied_hosts_to_their_exact_before_state(
    lab: Lab, tmp_path: Path, action: str
) -> None:
    playbook = tmp_path / "host-rollback.yaml"
    text = HOST_ROLLBACK.read_text().replace("failure_action: rollback-stage", f"failure_action: {action}")
    playbook.write_text(text)
    before_hosts = host_states(playbook, lab.inventory)
    before_plans = lab.plans()
    session = open_rollout(playbook, lab.inventory)
    host4 = NetmikoRunner.connect(ssh_target(session.nr.inventory.hosts["host4"]))
    waits: list[float] = []

    def out_of_band_on_second_host_batch(seconds: float) -> None:  # the link-flap wait, before the post-check
        waits.append(seconds)
        if len(waits) == 2:
            host4.run("sudo dcb pfc set dev eth1 prio-pfc 3:off")

    try:
        result = orchestrate.run(
            session, make_fabric(session), JsonProgress(io.StringIO()), Hooks(sleep=out_of_band_on_second_host_batch)
        )
    finally:
        host4.close()

    assert result.result == "halted", result.summary()
    summary = result.summary()
    assert summary["needs_attention"] == {}
    expected = ["host1", "host2", "host3", "host4"] + (["leaf1"] if action == "rollback-all" else [])
    assert sorted(summary["rolled_back"]) == expected  # host1/2 had been confirmed, host3/4 were pending
    undone = [(r["device"], r["status"]) for r in lab.trail() if r["event"] == "rolled_back"]
    assert {d for d, _ in undone[:2]} == {"host3", "host4"}  # newest change first
    assert {d for d, _ in undone[2:4]} == {"host1", "host2"}
    assert [d for d, _ in undone[4:]] == expected[4:]
    assert {status for _, status in undone} == {"rolled_back"}
    confirmed = [r["device"] for r in lab.trail() if r["event"] == "confirmed"]
    assert sorted(confirmed) == ["host1", "host2", "leaf1"]  # hosts are commit-confirmed like switches
    assert host_states(playbook, lab.inventory) == before_hosts
    now = lab.plans()
    for host in HOSTS:  # the same plan again, but for taking DCBX from the firmware (done once, for good)
        assert now[host] == [line for line in before_plans[host] if f"{host} eth1: dcbx " not in line]
    assert now["leaf1"] == (before_plans["leaf1"] if action == "rollback-all" else [])


def test_apply_and_rollback_leave_a_device_locked_by_a_rollout_alone_and_change_the_others(lab: Lab) -> None:
    before = lab.plans()
    session = open_rollout(PLAYBOOK, lab.inventory)
    leaf1 = NetmikoRunner.connect(ssh_target(session.nr.inventory.hosts["leaf1"]))
    try:
        theirs = LockInfo.new("roce-agent-20261121T220000Z-0a0b0c", "someone-elses-rollout", 600)
        DeviceLock(leaf1, DEFAULT_DEVICE_LOCK).acquire(theirs)

        result = cli.invoke(app, ["apply", "-i", str(lab.inventory), "--limit", "leaf1,host1", "--yes"])

        assert result.exit_code == 1, result.output
        out = result.output
        leaf1_part = out[out.index("=== leaf1") :]
        assert leaf1_part.startswith("=== leaf1: failed")
        assert "is locked by" in leaf1_part
        assert "txid roce-agent-20261121T220000Z-0a0b0c (someone-elses-rollout" in leaf1_part
        host1_part = out[out.index("=== host1") : out.index("=== leaf1")]
        assert host1_part.startswith("=== host1: applied")
        assert "  event: link flap on eth1 (PFC mask change" in host1_part  # events in the human output
        holder = DeviceLock(leaf1, DEFAULT_DEVICE_LOCK).read()[1]
        assert holder is not None
        assert holder.txid == theirs.txid  # still theirs: apply neither took nor released it
        now = lab.plans()
        assert now["leaf1"] == before["leaf1"]
        assert now["host1"] == []
        host1 = NetmikoRunner.connect(ssh_target(session.nr.inventory.hosts["host1"]))
        try:
            assert DeviceLock(host1, DEFAULT_DEVICE_LOCK).read() == (False, None)  # apply released its own lock
        finally:
            host1.close()

        undo = cli.invoke(app, ["rollback", "-i", str(lab.inventory), "--limit", "leaf1,host1", "--yes", "--json"])

        assert undo.exit_code == 1, undo.output
        devices = {d["device"]: d for d in json.loads(undo.stdout)["devices"]}
        assert devices["leaf1"]["status"] == "failed"
        assert "someone-elses-rollout" in devices["leaf1"]["detail"]
        assert devices["host1"]["status"] == "rolled_back"
        assert devices["host1"]["detail"].startswith("back to roce-agent-")
    finally:
        leaf1.close()
    after_undo = lab.plans()  # host1 planned as before, but for taking DCBX from the firmware (for good)
    assert after_undo["host1"] == [line for line in before["host1"] if "host1 eth1: dcbx " not in line]
    assert after_undo["leaf1"] == before["leaf1"]
