"""A lossy profile end to end over real SSH: the lab's fabric converted lossless -> lossy -> lossless.

The policy file has both profiles; `default_profile` picks which one the training pod and the spines
run (the inference pod names nvidia-roce-lossy in the inventory and stays lossy, its uplinks declare it,
so no link joins two profiles). After each apply the audit is clean, so render, apply and the
checks agree on what lossy means: no `pfc_enable`, no lossless PG, no watchdog on switch ports, ECN on
the RoCE queue; on hosts PFC off on every priority, ECN NP/RP on the RoCE priority, DSCP trust.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from tests.integration.rocelab.conftest import running_lab
from tests.lab_policy import profile_text

pytestmark = pytest.mark.integration
runner = CliRunner()


def profiled(default: str) -> str:
    """The lab policy's profiles (`training`, and `nvidia-roce-lossy` of the inference pod), next to a lossy
    `inference` with the lab's buffer model; `default` is the profile of every device that names none."""

    def nested(name: str) -> str:
        lines = [line for line in profile_text(name).splitlines()[1:] if not line.startswith("#")]
        return "\n".join(f"    {line}" if line.strip() else "" for line in lines)

    return (
        f"name: lab\ndefault_profile: {default}\nprofiles:\n  training:\n{nested('training')}\n"
        f"  nvidia-roce-lossy:\n{nested('nvidia-roce-lossy')}\n"
        "  inference:\n    baseline: nvidia-roce-lossy\n    buffer_model: traditional\n"
    )


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("lossy-lab")
    policy = root / "policy.yaml"
    policy.write_text(profiled("training"))
    with running_lab(root, policy) as inv:
        (inv / "policy.yaml").write_text(profiled("training"))
        yield inv


def _apply_and_audit(inventory: Path) -> dict:  # type: ignore[type-arg]
    res = runner.invoke(app, ["apply", "-i", str(inventory), "--yes"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["audit", "-i", str(inventory), "-q", "-f", "json", "--no-history"])
    doc = json.loads(res.stdout)
    assert res.exit_code == 0, [f["key"] for f in doc["findings"]]
    return doc  # type: ignore[no-any-return]


def _switch_db(inventory: Path, device: str, key: str) -> str:
    res = runner.invoke(app, ["lab", "exec", device, f"sonic-db-cli CONFIG_DB hgetall '{key}'"])
    return res.stdout


def test_lossless_then_lossy_then_lossless_each_audits_clean(inventory: Path) -> None:
    _apply_and_audit(inventory)
    assert "pfc_enable" in _switch_db(inventory, "leaf2", "PORT_QOS_MAP|Ethernet0")

    (inventory / "policy.yaml").write_text(profiled("inference"))
    _apply_and_audit(inventory)
    qos = _switch_db(inventory, "leaf2", "PORT_QOS_MAP|Ethernet0")
    assert "pfc_enable" not in qos
    assert "dscp_to_tc_map" in qos
    assert "wred_profile" in _switch_db(inventory, "leaf2", "QUEUE|Ethernet0|3")
    assert "pfc_enable" not in _switch_db(inventory, "spine1", "PORT_QOS_MAP|Ethernet0")

    (inventory / "policy.yaml").write_text(profiled("training"))
    _apply_and_audit(inventory)
    assert "pfc_enable" in _switch_db(inventory, "leaf2", "PORT_QOS_MAP|Ethernet0")
