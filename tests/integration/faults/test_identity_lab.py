"""A change reaches only the device it was planned for (issue 13, host keys): pins by device identity,
the answering device's own name checked before any write, ~/.ssh/known_hosts never overriding a pin.

Each test copies the lab's inventory and points leaf1's (or host1's) entry at another twin's port."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from agent.cli import app
from tests.integration.rocelab.conftest import running_lab

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"
OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA7bQZ6Yl2fM9V8cN6wzCBwG6aE3d6gYtYfM8ZpQkq1a"
cli = CliRunner()
yaml = YAML()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("identity")
    with running_lab(root, POLICY) as inventory:
        yield inventory


def copy_inventory(lab: Path, dest: Path, *, device_pins: bool) -> Path:
    """The lab's inventory at `dest`. The lab writes the agreed design: each host its own connection
    options and pin file known_hosts.d/<device>. Without `device_pins`, the per-host pins are dropped, so
    only the inventory-wide known_hosts (backwards compatibility) pins the keys, by address."""
    shutil.copytree(lab, dest)
    hosts: dict[str, Any] = yaml.load((dest / "hosts.yaml").read_text())
    assert all(Path(h["connection_options"]["netmiko"]["extras"]["alt_key_file"]).name == n for n, h in hosts.items())
    if not device_pins:
        for host in hosts.values():
            for options in host["connection_options"].values():
                extras = options.get("extras") or {}
                for holder in (extras, extras.get("optional_args") or {}):
                    holder.pop("alt_key_file", None)
                    holder.pop("alt_host_keys", None)
    dump(dest, hosts)
    return dest


def dump(inventory: Path, hosts: dict[str, Any]) -> None:
    with (inventory / "hosts.yaml").open("w") as fh:
        yaml.dump(hosts, fh)


def swap(inventory: Path, device: str, other: str) -> None:
    """The two entries' ports swapped (two hosts at one address are refused as bad input before this)."""
    hosts: dict[str, Any] = yaml.load((inventory / "hosts.yaml").read_text())
    hosts[device]["port"], hosts[other]["port"] = hosts[other]["port"], hosts[device]["port"]
    dump(inventory, hosts)


def plan_lines(inventory: Path, device: str) -> list[str]:
    result = cli.invoke(app, ["plan", "-i", str(inventory), "--limit", device, "--json"])
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout)["devices"][0]["diff"])


@pytest.mark.parametrize(("device", "other"), [("leaf1", "leaf2"), ("host1", "host2")])
def test_a_device_pin_refuses_another_device_answering_at_the_address(
    lab: Path, tmp_path: Path, device: str, other: str
) -> None:
    inventory = copy_inventory(lab, tmp_path / "inv", device_pins=True)
    assert plan_lines(inventory, device)  # its own pin file lets the right device in
    before = plan_lines(lab, other)
    swap(inventory, device, other)

    result = cli.invoke(app, ["apply", "-i", str(inventory), "--limit", device, "--yes"])

    assert result.exit_code == 1, result.output
    assert f"not {device}'s pinned key" in result.output
    assert plan_lines(lab, other) == before  # nothing was written to the other device


def test_with_an_inventory_wide_pin_the_answering_devices_name_refuses_the_write(lab: Path, tmp_path: Path) -> None:
    """Pins by address accept leaf2's key at leaf2's address; the identity check still stops the write."""
    inventory = copy_inventory(lab, tmp_path / "inv", device_pins=False)
    assert plan_lines(inventory, "leaf1")  # the inventory-wide pins still work (backwards compatibility)
    before = plan_lines(lab, "leaf2")
    swap(inventory, "leaf1", "leaf2")

    result = cli.invoke(app, ["apply", "-i", str(inventory), "--limit", "leaf1", "--yes"])

    assert result.exit_code == 1, result.output
    assert "reports hostname 'leaf2', not 'leaf1'" in result.output
    assert plan_lines(lab, "leaf2") == before


@pytest.mark.parametrize(("device", "other"), [("leaf1", "leaf2"), ("host1", "host2")])
def test_without_host_key_checks_the_answering_devices_name_still_refuses_the_write(
    lab: Path, tmp_path: Path, device: str, other: str
) -> None:
    inventory = copy_inventory(lab, tmp_path / "inv", device_pins=True)
    before = plan_lines(lab, other)
    swap(inventory, device, other)

    args = ["apply", "-i", str(inventory), "--limit", device, "--yes", "--insecure-skip-host-key-check"]
    result = cli.invoke(app, args)

    assert result.exit_code == 1, result.output
    assert f"reports hostname '{other}', not '{device}'" in result.output
    assert plan_lines(lab, other) == before


@pytest.mark.parametrize("device_pins", [True, False])
def test_a_conflicting_system_known_hosts_is_reported_and_never_used(
    lab: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, device_pins: bool
) -> None:
    inventory = copy_inventory(lab, tmp_path / "inv", device_pins=device_pins)
    hosts: dict[str, Any] = yaml.load((inventory / "hosts.yaml").read_text())
    ssh_dir = tmp_path / "home" / ".ssh"
    ssh_dir.mkdir(parents=True)
    address = f"[{hosts['leaf1']['hostname']}]:{hosts['leaf1']['port']}"
    (ssh_dir / "known_hosts").write_text(f"# an old key\n{address} {OTHER_KEY}\n")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    result = cli.invoke(app, ["plan", "-i", str(inventory), "--limit", "leaf1"])

    assert result.exit_code == 0, result.output  # the inventory's pin was used, not the old key
    assert f"{ssh_dir / 'known_hosts'}:2 has a different ssh-ed25519 key for {address}" in result.stderr
