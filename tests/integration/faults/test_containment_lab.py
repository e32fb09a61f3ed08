"""One device whose sshd sends a banner and hangs up is reported with a reason; the other 7 are audited
and planned (issue 13: the audit crashed with an IndexError and 0 of 7 devices audited)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from agent.cli import app
from tests.integration.faults.banner_server import banner_then_close
from tests.integration.rocelab.conftest import running_lab

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"
OTHERS = ["host1", "host2", "host3", "host4", "host5", "host6", "leaf2", "leaf3", "spine1", "spine2"]
cli = CliRunner()


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The lab's inventory with leaf1 pointed at the banner-then-close server."""
    root = tmp_path_factory.mktemp("containment")
    with running_lab(root, POLICY) as lab_inventory, banner_then_close() as port:
        broken = root / "broken-inventory"
        shutil.copytree(lab_inventory, broken)
        yaml = YAML()
        hosts = yaml.load((broken / "hosts.yaml").read_text())
        hosts["leaf1"]["port"] = port
        with (broken / "hosts.yaml").open("w") as fh:
            yaml.dump(hosts, fh)
        yield broken


def test_audit_reports_the_broken_device_and_audits_the_ten_others(inventory: Path) -> None:
    result = cli.invoke(app, ["audit", "-i", str(inventory), "--format", "json"])

    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout[result.stdout.index("{") :])
    assert doc["skipped"] == ["leaf1"]
    assert doc["summary"]["devices"] == 11
    assert all(doc["devices"][name]["reachable"] for name in OTHERS)
    assert "leaf1: NOT READ: " in result.stderr
    assert "closed the SSH connection during the handshake" in result.stderr


def test_plan_names_why_the_broken_device_failed_and_plans_the_others(inventory: Path) -> None:
    result = cli.invoke(app, ["plan", "-i", str(inventory), "--json"])

    assert result.exit_code == 1, result.output
    devices = {d["device"]: d for d in json.loads(result.stdout)["devices"]}
    assert devices["leaf1"]["status"] == "failed"
    assert "closed the SSH connection during the handshake" in devices["leaf1"]["error"]
    assert all(devices[name]["status"] == "changes" for name in OTHERS)
    failed_line = next(line for line in result.stderr.splitlines() if line.startswith("leaf1: FAILED:"))
    assert failed_line.removeprefix("leaf1: FAILED:").strip()
