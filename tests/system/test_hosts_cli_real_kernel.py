"""`roce-agent host plan|apply|audit` on the real kernel, inside a fresh network namespace (`--netns`)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyroute2 import IPRoute, netns
from typer.testing import CliRunner

from agent.cli import app
from agent.platforms.linux_rdma.snapshots import STATE_DIR

pytestmark = pytest.mark.system


def remove_host_state(netns_name: str) -> None:
    """Apply keeps before-snapshots under /var/tmp/roce-agent/netns-NAME; the namespace is gone, so are they."""
    shutil.rmtree(Path(STATE_DIR) / f"netns-{netns_name}", ignore_errors=True)
    with contextlib.suppress(OSError):
        Path(STATE_DIR).rmdir()  # only when nothing else is kept there


POLICY = Path(__file__).parents[2] / "inventories" / "lab" / "policy.yaml"
IF = "rac0"


@pytest.fixture
def ns() -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("dcb") is None:
        reason = "needs root and iproute2 `dcb` (network namespaces, veth)"
        print(f"SKIP system test: {reason}")
        pytest.skip(reason)
    name = f"ra-cli-{uuid.uuid4().hex[:8]}"
    netns.create(name)
    try:
        with IPRoute(netns=name, flags=0) as ipr:
            ipr.link("add", ifname=IF, kind="veth", peer={"ifname": "rac1"})
            for ifname in (IF, "rac1"):
                ipr.link("set", index=ipr.link_lookup(ifname=ifname)[0], mtu=1500, state="up")
        yield name
    finally:
        netns.remove(name)
        remove_host_state(name)


def _mtu(name: str) -> int:
    with IPRoute(netns=name, flags=0) as ipr:
        return int(ipr.link("get", index=ipr.link_lookup(ifname=IF)[0])[0].get("mtu"))


def test_plan_and_apply_refuse_the_veth_and_leave_it_alone(ns: str) -> None:
    cli = CliRunner()
    result = cli.invoke(app, ["host", "plan", "-p", str(POLICY), "--interface", IF, "--netns", ns])
    assert result.exit_code == 1
    assert "no DCB support on this interface, configure the physical function" in result.output
    result = cli.invoke(app, ["host", "apply", "-p", str(POLICY), "--interface", IF, "--netns", ns, "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["status"] == "failed"
    assert "configure the physical function" in doc["error"]
    assert _mtu(ns) == 1500


def test_audit_reports_the_missing_dcb_as_an_error_finding(ns: str) -> None:
    result = CliRunner().invoke(app, ["host", "audit", "-p", str(POLICY), "--interface", IF, "--netns", ns, "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert any(f["severity"] == "error" and f["port"] == IF for f in doc["findings"])
    assert doc["state"]["ports"][IF]["nic"]["dcb_supported"] is False


def test_bad_input_exits_2_before_touching_anything() -> None:
    cli = CliRunner()
    result = cli.invoke(app, ["host", "plan", "-p", str(POLICY), "--interface", "eth1;reboot"])
    assert result.exit_code == 2
    assert "--interface" in result.output
    missing = f"ra-absent-{uuid.uuid4().hex[:8]}"
    result = cli.invoke(app, ["host", "plan", "-p", str(POLICY), "--interface", IF, "--netns", missing])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert missing not in netns.listnetns()
