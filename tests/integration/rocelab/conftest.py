"""Fixtures: one echo twin served in-process over real SSH, with a pinned host key and a client key."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from netmiko import ConnectHandler
from netmiko.base_connection import BaseConnection

from agent.inventory.loader import load_nornir
from rocelab.ssh import LabCredentials, TwinEndpoint, serve_twin
from tests.integration.rocelab.echo_twin import EchoTwin

PASSWORD = "lab-test-password"  # only ever used against the in-process twin of these tests
ROOT = Path(__file__).resolve().parents[3]
TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"
# The default lab: training pod (spine1-2, leaf1-2, host1-4) and inference pod (leaf3, host5-6).
LAB_NODES = 11


def lab_env(monkeypatch: pytest.MonkeyPatch, state_dir: Path) -> None:
    """A lab state dir of the test's own; the lab process can import the test twins (PYTHONPATH)."""
    monkeypatch.setenv("ROCE_AGENT_LAB_DIR", str(state_dir))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("ROCE_AGENT_LAB_PASSWORD", raising=False)


def free_base_port(count: int, low: int = 20000, high: int = 30000) -> int:
    """A base port with `count` consecutive free ports on 127.0.0.1 (outside the ephemeral range).

    Suites that run their own lab next to this one's pass a disjoint [low, high) so they cannot race
    for the same range."""
    for _ in range(200):
        base = random.randrange(low, high - count)
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free port range found")


@contextlib.contextmanager
def running_lab(root: Path, policy: Path, topology: Path = TOPOLOGY, nodes: int = LAB_NODES) -> Iterator[Path]:
    """`roce-agent lab up` of a topology (default: the default lab) with its state under `root`, on free
    ports; yields the inventory directory it wrote and stops the lab afterwards (for module-scoped
    live-test fixtures)."""
    from typer.testing import CliRunner

    from agent.cli import app

    runner = CliRunner()
    mp = pytest.MonkeyPatch()
    lab_env(mp, root / ".lab")
    inventory = root / "inventory"
    args = ["lab", "up", str(topology), "-i", str(inventory), "--base-port", str(free_base_port(nodes))]
    up = runner.invoke(app, [*args, "--policy", str(policy)])
    assert up.exit_code == 0, up.output
    try:
        yield inventory
    finally:
        runner.invoke(app, ["lab", "down"])
        mp.undo()


def inventory_netmiko(inventory: Path, name: str) -> BaseConnection:
    """Netmiko exactly as the written inventory describes the device: key login, strict pinned host keys."""
    host = load_nornir(inventory).inventory.hosts[name]
    params = host.get_connection_parameters("netmiko")
    options = {**params.extras, **host.data["_ssh_options"]}  # the agent's host-key policy over the file's
    return ConnectHandler(device_type=params.platform, host=params.hostname, port=params.port,
                          username=params.username, **options)  # fmt: skip


@dataclass
class ServedTwin:
    twin: EchoTwin
    port: int
    host_key: asyncssh.SSHKey
    key_file: Path
    known_hosts: Path

    def netmiko(self, **overrides: Any) -> BaseConnection:
        """Netmiko `linux` with host-key checking ON against the pinned known_hosts, key login by default."""
        params: dict[str, Any] = {
            "device_type": "linux", "host": "127.0.0.1", "port": self.port, "username": "admin",
            "use_keys": True, "key_file": str(self.key_file), "allow_agent": False,
            "ssh_strict": True, "system_host_keys": False, "alt_host_keys": True,
            "alt_key_file": str(self.known_hosts), "conn_timeout": 10,
        }  # fmt: skip
        params.update(overrides)
        return ConnectHandler(**params)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedTwin]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    twin = EchoTwin("t1")
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    key_file = tmp_path / "id_ed25519"
    key_file.write_bytes(client_key.export_private_key())
    os.chmod(key_file, 0o600)
    endpoint = TwinEndpoint("t1", 0, lambda: twin, host_key)
    creds = LabCredentials(password=PASSWORD, client_keys=[client_key])
    acceptor = asyncio.run_coroutine_threadsafe(serve_twin(endpoint, creds), loop).result(10)
    port = acceptor.get_port()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_key.export_public_key().decode()}")
    try:
        yield ServedTwin(twin, port, host_key, key_file, known_hosts)
    finally:
        asyncio.run_coroutine_threadsafe(_shutdown(endpoint, acceptor), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def _shutdown(endpoint: TwinEndpoint, acceptor: asyncssh.SSHAcceptor) -> None:
    """On the loop's own thread (asyncio is not thread-safe): stop listening, drop clients, drain tasks."""
    acceptor.close()
    endpoint.close_sessions()
    await acceptor.wait_closed()
    await _drain_tasks()


async def _drain_tasks() -> None:
    """Let session handlers finish (or cancel them) so no task outlives the fixture's loop."""
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    _, still = await asyncio.wait(pending, timeout=2.0) if pending else (set(), set())
    for task in still:
        task.cancel()
