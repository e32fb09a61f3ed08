"""Readiness of a deployed lab: decided from probe output, polled until ready or a deadline (no sleeps here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.inventory.clab_plugin import read_source
from agent.transports.clab_ready import judge_sonic, sonic_probe, wait_ready

ROOT = Path(__file__).resolve().parents[3]
READY = ROOT / "tests" / "fixtures" / "inventory" / "clab" / "ready"
PORTS = ["Ethernet0", "Ethernet4"]


def test_probe_is_one_line_with_quoted_keys() -> None:
    probe = sonic_probe(PORTS)
    assert probe.startswith("supervisorctl status orchagent syncd 2>&1; echo @@ready@@; ")
    assert "sonic-db-cli STATE_DB hget 'PORT_TABLE|Ethernet4' state" in probe
    assert "sonic-db-cli APPL_DB hget PORT_TABLE:Ethernet0 oper_status" in probe
    assert "\n" not in probe


@pytest.mark.parametrize(
    ("fixture", "ready", "detail"),
    [
        ("leaf-ready.txt", True, "ready"),
        ("leaf-syncd-starting.txt", False, "syncd not RUNNING (STARTING)"),
        ("leaf-no-supervisord.txt", False, "orchagent not RUNNING (unix:///var/run/supervisor.sock no such file)"),
        ("leaf-port-missing.txt", False, "Ethernet4 not created yet (STATE_DB state missing)"),
        ("leaf-port-down.txt", False, "Ethernet4 oper down"),
    ],
)
def test_judge_sonic(fixture: str, ready: bool, detail: str) -> None:
    result = judge_sonic("leaf1", PORTS, (READY / fixture).read_text())
    assert (result.ready, result.detail) == (ready, detail)


def test_truncated_output_is_not_ready() -> None:
    text = (READY / "leaf-ready.txt").read_text().split("@@ready@@\n")[0]
    assert judge_sonic("leaf1", PORTS, text).detail == "probe output truncated"


def test_wait_polls_until_the_deadline_and_names_every_node() -> None:
    src = read_source(ROOT / "containerlab" / "roce-fabric.clab.yml")
    now = [0.0]
    sleeps: list[float] = []

    def sleep(s: float) -> None:
        sleeps.append(s)
        now[0] += s

    rounds: list[int] = []
    results = wait_ready(
        src, timeout_s=12, poll_s=5, docker="/nonexistent/docker", clock=lambda: now[0], sleep=sleep,
        on_poll=lambda r: rounds.append(len(r)),
    )  # fmt: skip
    assert sleeps == [5, 5, 2]  # never past the deadline
    assert rounds == [11, 11, 11, 11]
    assert [r.device for r in results] == sorted(src.topology.nodes)
    assert all(not r.ready and "not found" in r.detail for r in results)
