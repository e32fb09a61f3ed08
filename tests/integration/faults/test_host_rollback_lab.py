"""`roce-agent rollback` of a host returns every `dcb` object it touched exactly to the before state, read
over real SSH with the real `dcb -j` JSON (issue 13: tc_bw ended [0,...] instead of [100,...])."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from tests.integration.rocelab.conftest import running_lab

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"
OBJECTS = ("ets", "app", "buffer")
cli = CliRunner()


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with running_lab(tmp_path_factory.mktemp("hostrollback"), POLICY) as inv:
        yield inv


def dcb(device: str) -> dict[str, object]:
    views: dict[str, object] = {}
    for obj in (*OBJECTS, "pfc"):
        shown = cli.invoke(app, ["lab", "exec", device, f"dcb -j {obj} show dev eth1"])
        assert shown.exit_code == 0, shown.output
        doc = json.loads(shown.stdout)
        views[obj] = {k: v for k, v in doc.items() if k not in ("requests", "indications")}  # pfc counters move
    return views


def test_host_rollback_restores_dcb_exactly_and_says_so(inventory: Path) -> None:
    before = dcb("host3")
    applied = cli.invoke(app, ["apply", "-i", str(inventory), "--limit", "host3", "--yes"])
    assert applied.exit_code == 0, applied.output
    assert dcb("host3") != before

    rolled = cli.invoke(app, ["rollback", "-i", str(inventory), "--limit", "host3", "--yes", "--json"])

    assert rolled.exit_code == 0, rolled.output
    device = json.loads(rolled.stdout)["devices"][0]
    assert device["status"] == "rolled_back"
    assert "not restored exactly" not in device["detail"]
    assert dcb("host3") == before
