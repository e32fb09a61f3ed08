"""`roce-agent audit --processes 2` over real SSH against the lab twins: the gather split over forked
workers (agent.runners.processes) reads and reports exactly what one process does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.integration.rocelab.conftest import ROOT, free_base_port, running_lab

pytestmark = pytest.mark.integration
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with running_lab(tmp_path_factory.mktemp("audit-procs-lab"), POLICY) as inv:
        yield inv


def audit(inventory: Path, *args: str) -> tuple[int, dict[str, object], str]:
    """The CLI in its own process, as an operator runs it (the fork happens before any thread)."""
    argv = [sys.executable, "-m", "agent", "audit", "-i", str(inventory), "-f", "json", *args]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=dict(os.environ), check=False)
    assert res.returncode in (0, 1), res.stderr
    doc: dict[str, object] = json.loads(res.stdout)
    return res.returncode, doc, res.stderr


def keys(doc: dict[str, object]) -> set[str]:
    findings = doc["findings"]
    assert isinstance(findings, list)
    return {str(f["key"]) for f in findings}


def test_two_processes_read_and_report_what_one_does(inventory: Path) -> None:
    code1, one, _ = audit(inventory, "--processes", "1", "--no-history")
    code2, two, err = audit(inventory, "--processes", "2")
    assert (code2, keys(two)) == (code1, keys(one))
    assert two["devices"] == one["devices"]
    devices = list(YAML().load((inventory / "hosts.yaml").read_text()))
    assert "at a time (in 2 processes: --processes; per device" in err
    for name in devices:  # progress lines still come, one per device, from the caller's process
        assert f"{name}: gather ..." in err
        assert any(line.startswith(f"{name}: read ") for line in err.splitlines())
    cost = json.loads((inventory / ".state" / "costs.json").read_text())["gather_task"]
    assert cost["cpu_s"] > 0
    assert cost["source"].endswith(f"{len(devices)} devices")


def test_an_unreachable_device_is_still_reported_per_device(inventory: Path) -> None:
    inv = inventory.parent / "inventory-host4-down"  # next to the original: the key path is relative
    shutil.copytree(inventory, inv)
    yaml = YAML()
    hosts = yaml.load((inv / "hosts.yaml").read_text())
    hosts["host4"]["port"] = free_base_port(1)  # nothing listens there
    with (inv / "hosts.yaml").open("w") as fh:
        yaml.dump(hosts, fh)
    code, doc, err = audit(inv, "--processes", "2", "--no-history")
    assert code == 1
    assert "AUDIT-001|host4||" in keys(doc)
    assert "host4: NOT READ: " in err
    assert "SW-QOS-002|leaf2|Ethernet0|3" in keys(doc)
