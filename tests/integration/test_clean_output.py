"""Nothing reaches the user that the project did not write: real CLI processes, as a user starts them, print
no dependency warning (asyncssh's CryptographyDeprecationWarning for DSA printed ten lines on every lab
command and 100 of `make demo`'s 654), and neither does the lab process into its log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.rocelab.conftest import LAB_NODES, free_base_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ECHO_FACTORY = "tests.integration.rocelab.echo_twin:build"
COMMANDS = {
    "roce-agent --help": [str(BIN / "roce-agent"), "--help"],
    "rocelab --help": [str(BIN / "rocelab"), "--help"],
    "roce-agent lab --help": [str(BIN / "roce-agent"), "lab", "--help"],
    "roce-agent lab status": [str(BIN / "roce-agent"), "lab", "status"],
    "python -m agent --help": [sys.executable, "-m", "agent", "--help"],
    "python -m rocelab.runtime --help": [sys.executable, "-m", "rocelab.runtime", "--help"],
    "benchmarks import": [sys.executable, "-c", "import benchmarks.lab_scale"],
}


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONWARNINGS")}
    env.update({"ROCE_AGENT_LAB_DIR": str(tmp_path / ".lab"), "PYTHONPATH": str(ROOT)})
    return env


@pytest.mark.parametrize("name", COMMANDS)
def test_cli_stderr_has_no_warning(name: str, tmp_path: Path) -> None:
    res = subprocess.run(COMMANDS[name], cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert res.returncode in (0, 1), res.stderr  # lab status: 1 = no lab running
    assert "Warning" not in res.stderr, res.stderr
    assert "warn" not in res.stderr.lower(), res.stderr


def test_lab_up_and_the_lab_process_log_have_no_warning(tmp_path: Path) -> None:
    env = _env(tmp_path)
    roce_agent = str(BIN / "roce-agent")
    up = [roce_agent, "lab", "up", "-i", str(tmp_path / "inv"), "--base-port", str(free_base_port(LAB_NODES)),
          "--twin-factory", ECHO_FACTORY]  # fmt: skip
    res = subprocess.run(up, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    try:
        assert res.returncode == 0, res.stderr
        assert "Warning" not in res.stdout + res.stderr
        log = (tmp_path / ".lab" / "lab.log").read_text()
        assert "lab roce-fabric up" in log
        assert "Warning" not in log, log
    finally:
        subprocess.run([roce_agent, "lab", "down"], cwd=ROOT, env=env, capture_output=True, timeout=60)
