"""Readiness polling through the fake `docker`: one probe per node per round, real answers from the twins.

The SONiC twin serves the databases (ports exist and are up) but does not model supervisord, so the
switches are reported as not ready with the shell's own reason; the linux hosts answer and are ready.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app
from agent.inventory.clab_plugin import read_source
from agent.transports.clab_ready import wait_ready

from .conftest import DEFAULT_TOPOLOGY
from .docker_twin_server import DockerTwinServer


def test_one_round_reports_each_node_with_its_reason(docker: DockerTwinServer) -> None:
    src = read_source(DEFAULT_TOPOLOGY)
    results = {r.device: r for r in wait_ready(src, timeout_s=0, sleep=lambda _s: None)}
    assert all(results[h].ready for h in ("host1", "host2", "host3", "host4"))
    leaf1 = results["leaf1"]
    assert not leaf1.ready
    assert leaf1.detail == "orchagent not RUNNING (-bash: supervisorctl: command not found)"
    probes = [c for c in docker.calls if c[:1] == ["exec"]]
    assert len(probes) == 11  # one docker exec per node
    leaf_probe = next(c[-1] for c in probes if c[2] == "clab-roce-fabric-leaf1")
    for port in ("Ethernet0", "Ethernet4", "Ethernet8", "Ethernet12"):  # leaf1's cabled ports, eth1..eth4
        assert f"PORT_TABLE|{port}" in leaf_probe


def test_wait_ready_cli_exits_1_and_lists_what_is_missing(docker: DockerTwinServer) -> None:
    res = CliRunner().invoke(app, ["inventory", "wait-ready", str(DEFAULT_TOPOLOGY), "--timeout", "0", "--json"])
    assert res.exit_code == 1
    assert "not ready: spine2: orchagent not RUNNING" in res.stderr
    final = {d["device"]: d["ready"] for d in json.loads(res.stdout)}
    assert final == {
        **{f"host{i}": True for i in range(1, 7)},
        **{n: False for n in ("leaf1", "leaf2", "leaf3", "spine1", "spine2")},
    }
