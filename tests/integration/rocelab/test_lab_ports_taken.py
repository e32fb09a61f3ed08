"""`lab up` of the default topology into the default inventory of a fresh clone while something listens on
the default ports: the lab moves to free ports, says so, and `git status` shows no tracked file changed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from rocelab.spec import DEFAULT_BASE_PORT

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
LAB_NODES = 11  # the default lab: training pod (8) and inference pod (leaf3, host5, host6)
ROCE_AGENT = str(Path(sys.executable).parent / "roce-agent")
ECHO_FACTORY = "tests.integration.rocelab.echo_twin:build"


@pytest.fixture
def default_ports_taken() -> Iterator[None]:
    socks = []
    for port in range(DEFAULT_BASE_PORT, DEFAULT_BASE_PORT + LAB_NODES):
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
            socks.append(sock)
        except OSError:  # already taken by someone else: taken either way
            sock.close()
    try:
        yield
    finally:
        for sock in socks:
            sock.close()


def test_lab_up_on_busy_default_ports_moves_and_leaves_tracked_files_alone(
    tmp_path: Path, default_ports_taken: None
) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--local", str(ROOT), str(clone)], check=True, timeout=120)
    env = {**os.environ, "ROCE_AGENT_LAB_DIR": str(tmp_path / ".lab"), "PYTHONPATH": str(ROOT)}
    env.pop("LAB_BASE_PORT", None)
    up = subprocess.run([ROCE_AGENT, "lab", "up", "--twin-factory", ECHO_FACTORY], cwd=clone, env=env,
                        capture_output=True, text=True, timeout=120)  # fmt: skip
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "of the default range 2201.. in use; the lab listens on" in up.stderr
        hosts = YAML(typ="safe").load((clone / "inventories" / "lab" / "hosts.yaml").read_text())
        ports = sorted(int(h["port"]) for h in hosts.values())
        assert ports[0] >= DEFAULT_BASE_PORT + LAB_NODES
        assert ports == list(range(ports[0], ports[0] + LAB_NODES))
        status = subprocess.run(["git", "-C", str(clone), "status", "--porcelain"], capture_output=True, text=True)
        assert status.stdout == "", f"lab up changed tracked files:\n{status.stdout}"
    finally:
        subprocess.run([ROCE_AGENT, "lab", "down"], cwd=clone, env=env, capture_output=True, timeout=60)
