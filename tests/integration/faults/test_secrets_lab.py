"""A device error that quotes the inventory's password verbatim (no `password=` keyword around it) never
reaches any sink unmasked: apply and rollout consoles (text and JSON), the rollout trail, audit reports in
every format (stdout and --output), the audit history database and a saved snapshot (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from rocelab.control import request
from rocelab.paths import LabPaths
from tests.integration.rocelab.conftest import running_lab

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"
PLAYBOOK = ROOT / "tests" / "fixtures" / "rollout" / "playbooks" / "lab.yaml"
PASSWORD = "Qx7-secrets-lab-5d2e"  # the inventory's password (from $ROCE_AGENT_PASSWORD), only for these twins
cli = CliRunner()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    root = tmp_path_factory.mktemp("secrets")
    mp = pytest.MonkeyPatch()
    mp.setenv("ROCE_AGENT_PASSWORD", PASSWORD)
    try:
        with running_lab(root, POLICY) as inventory:
            yield root / ".lab", inventory
    finally:
        mp.undo()


def echo_password_on_next_read(state_dir: Path, pattern: str = "sonic-cfggen") -> None:
    """leaf1's next command matching `pattern` (default: its CONFIG_DB read) fails with an error that
    quotes the password (a one-shot fault)."""
    message = f"Error: cannot open /etc/sonic/{PASSWORD}.json: No such file or directory"
    reply = request(LabPaths(state_dir), {"op": "fault", "device": "leaf1", "kind": "fail-command",
                                          "options": {"pattern": pattern, "message": message}})  # fmt: skip
    assert reply.get("ok"), reply


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


@pytest.mark.parametrize("as_json", [False, True])
def test_apply_masks_the_password_a_device_error_quotes(lab: tuple[Path, Path], as_json: bool) -> None:
    state_dir, inventory = lab
    echo_password_on_next_read(state_dir)
    result = cli.invoke(app, ["apply", "-i", str(inventory), "--limit", "leaf1", "--yes", *(["--json"] * as_json)])
    assert result.exit_code == 1, result.output
    assert "cannot open /etc/sonic/***.json" in result.output  # the error is shown, the secret is not
    assert PASSWORD not in result.output


def test_rollout_masks_it_on_the_console_and_in_the_trail(lab: tuple[Path, Path]) -> None:
    state_dir, inventory = lab
    echo_password_on_next_read(state_dir, "config checkpoint")  # past the pre-flight: the canary's own write
    result = cli.invoke(app, ["rollout", str(PLAYBOOK), "-i", str(inventory), "--yes"])
    assert result.exit_code != 0, result.output
    assert "/etc/sonic/***" in result.output  # *** or the trail's ***REDACTED***
    assert PASSWORD not in result.output
    trail = (inventory / ".state" / "trail.jsonl").read_text()
    assert "/etc/sonic/***" in trail
    assert PASSWORD not in trail


@pytest.mark.parametrize("fmt", ["table", "json", "junit", "html", "prom"])
def test_audit_reports_history_and_snapshots_mask_it(lab: tuple[Path, Path], tmp_path: Path, fmt: str) -> None:
    state_dir, inventory = lab
    for output in (None, tmp_path / f"report.{fmt}"):
        echo_password_on_next_read(state_dir)
        args = ["audit", "-i", str(inventory), "-f", fmt, "--save-snapshot", str(tmp_path / "snap")]
        result = cli.invoke(app, [*args, *(["--output", str(output)] if output else [])])
        assert result.exit_code == 1, result.output
        assert PASSWORD not in result.output
        if fmt != "prom":  # Prometheus samples carry no text; the others quote leaf1's reason
            assert "***" in (output.read_text() if output else result.output)
    written = files_under(tmp_path) + files_under(inventory / ".state")
    assert written
    for path in written:
        assert PASSWORD.encode() not in path.read_bytes(), path
