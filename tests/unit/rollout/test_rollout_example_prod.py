"""The shipped example-prod inventory loads, stages by rack, pins a host key per device and holds no secret."""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest

from agent.inventory.loader import load_nornir
from agent.rollout.session import make_fabric, open_rollout

ROOT = Path(__file__).resolve().parents[3]
INV = ROOT / "inventories" / "example-prod"


def test_rollout_playbook_stages_the_example_fabric(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROCE_PROD_SWITCH_PASSWORD", "switch-secret-1")
    monkeypatch.setenv("ROCE_PROD_HOST_PASSWORD", "host-secret-2")
    session = open_rollout(ROOT / "playbooks" / "rollout.yaml", INV)
    stages = {s.name: s.batches for s in session.stages}
    assert stages["canary"] == [["leaf-r11-01"]]
    assert stages["spines"] == [["spine-01"], ["spine-02"], ["spine-03"], ["spine-04"]]
    assert stages["hosts"][0] == ["gpu-r11-01", "gpu-r11-02"]  # rack r11 first, two hosts at a time
    assert all(len({h.split("-")[1] for h in batch}) == 1 for batch in stages["hosts"])  # never mixes racks
    assert session.unstaged == []
    assert {"switch-secret-1", "host-secret-2"} <= set(session.secrets)
    # per-role data and the policy's overrides reach the intents
    assert session.intents["leaf-r11-01"].ports["Ethernet224"].cable_m == 300
    assert session.intents["leaf-r12-01"].ports["Ethernet0"].cable_m == 30
    assert session.intents["gpu-r11-01"].ports["eth2"].speed_mbps == 400_000


def test_credentials_come_from_the_named_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROCE_PROD_SWITCH_PASSWORD", "sw-pass")
    monkeypatch.setenv("ROCE_PROD_HOST_PASSWORD", "host-pass")
    nr = load_nornir(INV)
    assert nr.inventory.hosts["spine-01"].password == "sw-pass"
    assert nr.inventory.hosts["gpu-r12-04"].password == "host-pass"
    assert nr.inventory.hosts["gpu-r12-04"].username == "roce-agent"
    for name in ("hosts.yaml", "groups.yaml", "defaults.yaml"):
        assert "password:" not in (INV / name).read_text()


def test_known_hosts_pins_one_valid_key_per_device() -> None:
    keys = paramiko.HostKeys(str(INV / "known_hosts"))
    nr = load_nornir(INV)
    for host in nr.inventory.hosts.values():
        entry = keys.lookup(str(host.hostname))
        assert entry is not None, host.name
        assert entry["ssh-ed25519"].get_bits() == 256
    assert len(keys.keys()) == len(nr.inventory.hosts)


def test_shipped_rollout_gates_name_real_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROCE_PROD_SWITCH_PASSWORD", "x" * 8)
    monkeypatch.setenv("ROCE_PROD_HOST_PASSWORD", "y" * 8)
    session = open_rollout(ROOT / "playbooks" / "rollout.yaml", INV)
    fabric = make_fabric(session, runner_factory=lambda device: pytest.fail(f"{device} contacted"))
    assert fabric.intents.keys() == session.intents.keys()  # built without touching a device; terms all known
