"""The product's twins (SONiC switch, RDMA host) behind `roce-agent lab up`, reached like real devices.

These go through the whole path `make demo` uses: the default topology, the lab process with the real
twin classes, the written Nornir inventory, Netmiko `linux` with strict host keys, SFTP, and faults.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.inventory.loader import load_nornir
from tests.integration.rocelab.conftest import LAB_NODES, TOPOLOGY, free_base_port, inventory_netmiko, lab_env

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("real-lab")
    lab_env(mp, root / ".lab")
    inv = root / "inventories" / "lab"
    result = runner.invoke(
        app, ["lab", "up", str(TOPOLOGY), "--inventory", str(inv), "--base-port", str(free_base_port(LAB_NODES))]
    )
    assert result.exit_code == 0, result.output
    try:
        yield inv
    finally:
        runner.invoke(app, ["lab", "down"])
        mp.undo()


def test_sonic_twin_over_netmiko(inventory: Path) -> None:
    conn = inventory_netmiko(inventory, "leaf1")
    try:
        assert conn.find_prompt() == "admin@leaf1:~$"
        status = conn.send_command("show interfaces status")
        ethernet0 = next(line.split() for line in status.splitlines() if line.split()[:1] == ["Ethernet0"])
        assert "400G" in ethernet0
        # a batched read reaches the twin's own shell whole, as the agent's gather sends it
        assert conn.send_command("echo ==B==; hostname; echo ==E==") == "==B==\nleaf1\n==E=="
    finally:
        conn.disconnect()


def test_host_twin_over_netmiko(inventory: Path) -> None:
    conn = inventory_netmiko(inventory, "host2")
    try:
        assert conn.find_prompt() == "admin@host2:~$"
        (link,) = json.loads(conn.send_command("ip -j link show dev eth1"))
        assert link["ifname"] == "eth1"
        assert conn.send_command("sudo whoami") == "root"
        # the redirection is the login shell's, not sudo's: refused exactly as on a Linux host
        assert "Permission denied" in conn.send_command("sudo echo 1 > /sys/class/net/eth1/mtu")
    finally:
        conn.disconnect()


def test_sftp_upload_to_the_sonic_twin(inventory: Path, tmp_path: Path) -> None:
    host = load_nornir(inventory).inventory.hosts["spine1"]
    patch = tmp_path / "patch.json"
    patch.write_text('[{"op": "add", "path": "/PORT/Ethernet0/mtu", "value": "9100"}]\n')
    client = paramiko.SSHClient()
    client.load_host_keys(str(inventory / "known_hosts"))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    extras = host.get_connection_parameters("netmiko").extras
    client.connect("127.0.0.1", host.port, "admin", key_filename=extras["key_file"], allow_agent=False,
                   look_for_keys=False, timeout=10)  # fmt: skip
    try:
        client.open_sftp().put(str(patch), "/tmp/patch.json")
        _, out, _ = client.exec_command("cat /tmp/patch.json")
        assert out.read() == patch.read_bytes()
    finally:
        client.close()


def test_lab_fault_reaches_the_sonic_twin(inventory: Path) -> None:
    result = runner.invoke(app, ["lab", "fault", "leaf2", "fail-command", "pattern=show version"])
    assert result.exit_code == 0, result.output
    conn = inventory_netmiko(inventory, "leaf2")
    try:
        assert "injected failure" in conn.send_command("show version")
    finally:
        conn.disconnect()
