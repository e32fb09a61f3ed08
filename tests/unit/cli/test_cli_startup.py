"""The CLI starts without the heavy libraries, and its lazy command listing is the real command set."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from agent.cli import COMMANDS, app

HEAVY = ("nornir", "napalm", "netmiko", "paramiko", "asyncssh", "pyroute2")


def _imported_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return [m for m in json.loads(out.splitlines()[-1]) if m in HEAVY]


def test_import_agent_cli_pulls_no_device_library() -> None:
    assert _imported_after("import agent.cli") == []


def test_root_help_imports_no_command_module() -> None:
    code = "import sys\nfrom agent.cli import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n    pass"
    assert _imported_after(code) == []


@pytest.mark.parametrize("name", [n for n in COMMANDS if n != "lab"])
def test_every_listed_command_resolves_to_its_module(name: str) -> None:
    res = CliRunner().invoke(app, [name, "--help"])
    assert res.exit_code == 0, res.output
    assert f"roce-agent {name}" in res.output


def test_help_lists_every_command_once_and_no_flag_shows_a_type() -> None:
    res = CliRunner().invoke(app, ["--help"])
    assert res.exit_code == 0
    for name in COMMANDS:
        assert f" {name} " in res.output
    for name in ("--help", "audit --help", "apply --help", "rollout --help", "plan --help"):
        out = CliRunner().invoke(app, name.split()).output
        assert "<bool>" not in out, name
