"""Issue 12 item 7 on the built-in lab: what the switches cannot take is refused before anything is written.

Before the pre-flight, `rollout --check` of example-prod's policy on the lab was green, and the real rollout
converged the canary, then halted at leaf2 ("no lossless PG in APPL_DB"), leaving a mixed fabric.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent.cli import app
from tests.integration.rocelab.conftest import ROOT, running_lab
from tests.lab_policy import lossy_variant, with_inference_pod

pytestmark = pytest.mark.integration
cli = CliRunner()
PROD_POLICY = ROOT / "inventories" / "example-prod" / "policy.yaml"
PLAYBOOK = ROOT / "playbooks" / "rollout.yaml"
SWITCHES = ("leaf1", "leaf2", "spine1", "spine2")


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("preflight-lab")
    policy = root / "policy.yaml"  # example-prod's plan for the training pod; the inference pod keeps its own
    prod = PROD_POLICY.read_text()
    policy.write_text(with_inference_pod(prod, "prod-backend", lossy_variant(prod)))
    with running_lab(root, policy) as inv:
        yield inv


def config_dbs() -> dict[str, Any]:
    out = {}
    for name in SWITCHES:
        res = cli.invoke(app, ["lab", "exec", name, "sonic-cfggen -d --print-data"])
        assert res.exit_code == 0, res.output
        out[name] = json.loads(res.stdout[res.stdout.index("{") :])
    return out


def test_example_prod_check_fails_per_device_with_the_reason(inventory: Path) -> None:
    """example-prod asks for the dynamic buffer model; the lab's switches run the traditional one."""
    before = config_dbs()
    res = cli.invoke(app, ["rollout", str(PLAYBOOK), "-i", str(inventory), "--check"])
    assert res.exit_code == 1, res.output
    for name in SWITCHES:
        assert (
            f"{name}: cannot plan: {name}: pre-flight: the policy asks for the dynamic buffer model but "
            "DEVICE_METADATA.buffer_model is traditional" in res.output
        )
    assert "Nothing was written" in res.output
    assert config_dbs() == before


def test_a_later_device_the_preflight_refuses_stops_the_rollout_before_the_canary(
    inventory: Path, tmp_path: Path
) -> None:
    """Policy fine for leaf1 (the canary), not for leaf2: 30 m host cables have no lookup row at 400G."""
    policy = PROD_POLICY.read_text().replace("buffer_model: dynamic", "buffer_model: auto")
    policy += "  - match: {host: leaf2}\n    cable_length: {host: 30m}\n"
    (inventory / "policy.yaml").write_text(with_inference_pod(policy, "prod-backend", lossy_variant(policy)))
    before = config_dbs()
    check = cli.invoke(app, ["rollout", str(PLAYBOOK), "-i", str(inventory), "--check"])
    assert check.exit_code == 1, check.output
    assert "leaf1: " in check.output
    assert "leaf1: cannot plan" not in check.output
    assert "leaf2: cannot plan: leaf2: pre-flight: Ethernet0: speed 400000 with a 30m cable has no row" in check.output
    res = cli.invoke(app, ["rollout", str(PLAYBOOK), "-i", str(inventory), "--yes"])
    assert res.exit_code == 1, res.output
    assert config_dbs() == before  # not even the canary: no mixed fabric
    trail = [json.loads(line) for line in (inventory / ".state" / "trail.jsonl").read_text().splitlines()]
    assert [e["device"] for e in trail if e["event"] == "preflight_refused"] == ["leaf2"]
    assert not [e for e in trail if e["event"] == "applied"]
