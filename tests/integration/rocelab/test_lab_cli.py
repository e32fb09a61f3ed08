"""`roce-agent lab up|status|fault|traffic|down` end to end: a real background lab process, real SSH."""

from __future__ import annotations

import json
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from netmiko import ConnectHandler
from typer.testing import CliRunner

from agent.cli import app
from agent.process import pid_alive
from rocelab.control import LabError, start_lab
from rocelab.inventory_writer import PINS_DIR, PORTABLE_FILES
from rocelab.runtime import RuntimeOptions
from tests.integration.rocelab.conftest import LAB_NODES, ROOT, TOPOLOGY, free_base_port, inventory_netmiko, lab_env

pytestmark = pytest.mark.integration

ECHO_FACTORY = "tests.integration.rocelab.echo_twin:build"
runner = CliRunner()


@dataclass
class Lab:
    state_dir: Path
    inventory: Path
    base_port: int
    up_output: str

    def invoke(self, *args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["lab", *args])
        return result.exit_code, result.output


def _up(state_dir: Path, inventory: Path, base: int, *extra: str) -> tuple[int, str]:
    args = ["lab", "up", str(TOPOLOGY), "--inventory", str(inventory), "--base-port", str(base)]
    result = runner.invoke(app, [*args, "--twin-factory", ECHO_FACTORY, *extra])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("lab")
    state_dir, inventory = root / ".lab", root / "inventories" / "lab"  # same layout as the project
    lab_env(mp, state_dir)
    base = free_base_port(LAB_NODES)
    code, output = _up(state_dir, inventory, base)
    assert code == 0, output
    try:
        yield Lab(state_dir, inventory, base, output)
    finally:
        runner.invoke(app, ["lab", "down"])
        mp.undo()


def test_up_reports_every_device_and_where_things_are(lab: Lab) -> None:
    for name in ("leaf1", "spine2", "host4"):
        assert re.search(rf"{name}\s+\w+\s+\S+\s+\S+\s+127\.0\.0\.1\s+\d+", lab.up_output)
    assert str(lab.inventory) in lab.up_output


def test_state_dir_holds_secrets_with_tight_modes(lab: Lab) -> None:
    assert stat.S_IMODE(lab.state_dir.stat().st_mode) == 0o700
    for name in ("id_ed25519", "password"):
        assert stat.S_IMODE((lab.state_dir / name).stat().st_mode) == 0o600, name


def test_written_inventory_equals_the_committed_portable_files_and_pins_each_twin(lab: Lab) -> None:
    for name in PORTABLE_FILES:
        assert (lab.inventory / name).read_text() == (ROOT / "inventories" / "lab" / name).read_text(), name
    hosts = (lab.inventory / "hosts.yaml").read_text()
    assert f"port: {lab.base_port + LAB_NODES - 1}" in hosts
    assert f"alt_key_file: {lab.inventory.resolve() / PINS_DIR / 'spine2'}" in hosts
    names = (*(f"host{i}" for i in range(1, 7)), "leaf1", "leaf2", "leaf3", "spine1", "spine2")
    for i, name in enumerate(names):
        (pin,) = (lab.inventory / PINS_DIR / name).read_text().splitlines()
        assert pin.split()[0] == f"[127.0.0.1]:{lab.base_port + i}"
    pins = (lab.inventory / "known_hosts").read_text().splitlines()
    assert [p.split()[0] for p in pins] == [f"[127.0.0.1]:{lab.base_port + i}" for i in range(LAB_NODES)]
    assert len({p.split()[2] for p in pins}) == LAB_NODES  # one host key per twin


def test_status_json_lists_devices_ports_pid_and_uptime(lab: Lab) -> None:
    code, output = lab.invoke("status", "--json")
    assert code == 0
    state = json.loads(output)
    assert state["running"] is True
    assert state["inventory"] == str(lab.inventory)
    assert isinstance(state["pid"], int)
    assert state["uptime_s"] >= 0
    ports = {n["name"]: (n["port"], n["device_kind"], n["clab_kind"]) for n in state["nodes"]}
    assert ports["host1"] == (lab.base_port, "host", "linux")
    assert ports["spine2"] == (lab.base_port + LAB_NODES - 1, "switch", "sonic-vs")


def test_second_up_while_running_says_so(lab: Lab) -> None:
    code, output = _up(lab.state_dir, lab.inventory, free_base_port(LAB_NODES))
    assert code == 1
    assert "already running" in output


def test_nornir_inventory_reaches_the_twins_with_strict_host_keys(lab: Lab) -> None:
    for name in ("leaf1", "host3"):
        conn = inventory_netmiko(lab.inventory, name)
        try:
            assert conn.send_command("hostname") == name
        finally:
            conn.disconnect()


def test_password_login_with_the_labs_password(lab: Lab) -> None:
    password = (lab.state_dir / "password").read_text().strip()
    conn = ConnectHandler(device_type="linux", host="127.0.0.1", port=lab.base_port + 6, username="admin",
                          password=password, use_keys=False, allow_agent=False, ssh_strict=True,
                          alt_host_keys=True, alt_key_file=str(lab.inventory / "known_hosts"))  # fmt: skip
    try:
        assert conn.send_command("hostname") == "leaf1"
    finally:
        conn.disconnect()


def test_fault_and_traffic_reach_the_twin(lab: Lab) -> None:
    code, output = lab.invoke("fault", "leaf2", "fail", "code=9")
    assert code == 0
    assert "exit code 9" in output
    code, output = lab.invoke("traffic", "leaf2", "Ethernet0", "incast", "--json")
    assert code == 0
    assert json.loads(output)["ok"] is True
    conn = inventory_netmiko(lab.inventory, "leaf2")
    try:
        assert conn.send_command("hostname") == "injected failure of 'hostname'"
        assert conn.send_command("hostname") == "leaf2"  # the fault was for one command
        assert conn.send_command("traffic Ethernet0") == "Ethernet0 incast"
    finally:
        conn.disconnect()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("fault", "leaf9", "fail"), "unknown device 'leaf9'"),
        (("fault", "leaf1", "melt"), "unknown fault kind"),
        (("fault", "leaf1", "fail", "novalue"), "KEY=VALUE"),
        (("traffic", "leaf1", "Ethernet0", "tsunami"), "unknown pattern"),
    ],
)
def test_bad_fault_or_traffic_requests_exit_2(lab: Lab, args: tuple[str, ...], message: str) -> None:
    code, output = lab.invoke(*args)
    assert code == 2
    assert message in output


def test_exec_runs_over_ssh_as_admin_with_sudo_and_passes_the_exit_status(lab: Lab) -> None:
    code, output = lab.invoke("exec", "leaf1", "whoami")
    assert (code, output) == (0, "admin\n")
    code, output = lab.invoke("exec", "leaf1", "sudo whoami")
    assert (code, output) == (0, "root\n")
    code, output = lab.invoke("exec", "leaf1", "exit-with 3")
    assert code == 3
    assert "exiting 3" in output


def test_exec_on_an_unknown_device_exits_2(lab: Lab) -> None:
    code, output = lab.invoke("exec", "leaf9", "whoami")
    assert code == 2
    assert "unknown device 'leaf9'" in output


def test_down_stops_the_process_and_removes_the_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state_dir = tmp_path / "state"
    lab_env(monkeypatch, state_dir)
    code, output = _up(state_dir, tmp_path / "inv", free_base_port(LAB_NODES), "--latency", "300", "--json")
    assert code == 0, output
    state = json.loads(output)
    assert state["latency_ms"] == 300
    conn = inventory_netmiko(tmp_path / "inv", "leaf1")
    try:
        started = time.monotonic()
        assert conn.send_command("hostname") == "leaf1"
        assert time.monotonic() - started >= 0.3  # --latency is added to every command
    finally:
        conn.disconnect()
    pid = int((state_dir / "lab.pid").read_text())
    code, output = runner.invoke(app, ["lab", "down"]).exit_code, ""
    assert code == 0
    assert not state_dir.exists()
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3]
    again = runner.invoke(app, ["lab", "down"])
    assert again.exit_code == 0
    assert "no lab was running" in again.output
    status = runner.invoke(app, ["lab", "status", "--json"])
    assert status.exit_code == 1
    assert json.loads(status.output) == {"running": False}


def test_bad_topology_exits_2_and_starts_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lab_env(monkeypatch, tmp_path / "state")
    bad = tmp_path / "bad.clab.yml"
    bad.write_text("name: bad\ntopology:\n  nodes:\n    r1: {kind: nokia_srlinux}\n")
    result = runner.invoke(app, ["lab", "up", str(bad), "--base-port", str(free_base_port(1))])
    assert result.exit_code == 2
    assert "bad.clab.yml:4: topology.nodes.r1.kind" in result.output
    assert not (tmp_path / "state" / "lab.pid").exists()


def test_a_busy_port_fails_up_with_exit_2_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    state_dir = tmp_path / "state"
    lab_env(monkeypatch, state_dir)
    base = free_base_port(LAB_NODES)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", base + 6))  # leaf1's: host1-6 come first
        busy.listen()
        code, output = _up(state_dir, tmp_path / "inv", base)
        # the lab process's own check too (a port taken between the CLI's check and the listen)
        options = RuntimeOptions(TOPOLOGY, tmp_path / "inv", state_dir, base, twin_factory=ECHO_FACTORY)
        with pytest.raises(LabError) as raced:
            start_lab(options, timeout_s=30)
    assert code == 2
    assert f"port {base + 6} already in use" in output
    assert "--base-port N" in output
    assert f"leaf1: cannot listen on 127.0.0.1:{base + 6}" in str(raced.value)
    assert "LAB_BASE_PORT=N" in str(raced.value)
    assert not (state_dir / "lab.pid").exists()


def test_a_lab_whose_state_dir_is_wiped_stops_by_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state_dir = tmp_path / "state"
    lab_env(monkeypatch, state_dir)
    code, output = _up(state_dir, tmp_path / "inv", free_base_port(LAB_NODES))
    assert code == 0, output
    pid = int((state_dir / "lab.pid").read_text())
    (state_dir / "lab.pid").unlink()  # e.g. a test's temporary dir removed without `lab down`
    deadline = time.monotonic() + 20
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(pid)
    runner.invoke(app, ["lab", "down"])  # cleans the rest of the state dir
    assert not state_dir.exists()


def test_cost_model_x86_charges_a_python_cli_a_second_and_reports_device_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab_env(monkeypatch, tmp_path / "state")
    code, output = _up(tmp_path / "state", tmp_path / "inv", free_base_port(LAB_NODES), "--cost-model", "x86", "--json")
    assert code == 0, output
    try:
        assert json.loads(output)["cost_model"] == "x86"
        conn = inventory_netmiko(tmp_path / "inv", "leaf1")
        try:
            started = time.monotonic()
            conn.send_command("sonic-db-cli CONFIG_DB keys x")
            fast = time.monotonic() - started
            started = time.monotonic()
            conn.send_command("show version")
            assert time.monotonic() - started >= 1.0 > fast  # a Python CLI costs a second, the C++ client not
        finally:
            conn.disconnect()
        status = json.loads(runner.invoke(app, ["lab", "status", "--json"]).output)
        leaf1 = next(n for n in status["nodes"] if n["name"] == "leaf1")
        assert leaf1["device_s"] == pytest.approx(1.016, abs=0.01)
    finally:
        runner.invoke(app, ["lab", "down"])


def test_unknown_cost_model_exits_2_naming_the_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lab_env(monkeypatch, tmp_path / "state")
    code, output = _up(tmp_path / "state", tmp_path / "inv", free_base_port(LAB_NODES), "--cost-model", "x64")
    assert code == 2
    assert "--cost-model: unknown cost model 'x64'; allowed: x86, arm, flat:<N>ms" in output
    assert not (tmp_path / "state" / "lab.pid").exists()
