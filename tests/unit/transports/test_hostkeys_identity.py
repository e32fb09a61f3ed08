"""Pins by device identity, ~/.ssh/known_hosts conflicts, address collisions, the answering device's name."""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest

from agent.errors import DeviceError
from agent.identity import verify_identity
from agent.transports.hostkeys import (
    device_pin_view,
    is_device_pin,
    pinned_keys,
    system_conflicts,
)
from agent.transports.ssh import SshTarget, connect_kwargs

KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA7bQZ6Yl2fM9V8cN6wzCBwG6aE3d6gYtYfM8ZpQkq1a"
KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBxw9Fk3mVt3Hq2cXoJ4h0d2R1P9gGf6j9rQK6l1h0Yb"


def test_a_device_pin_lists_its_keys_under_whatever_address_is_contacted(tmp_path: Path) -> None:
    pin = tmp_path / "leaf1"
    pin.write_text(f"[127.0.0.1]:2205 {KEY_A}\n")
    view = device_pin_view(str(pin), "127.0.0.1", 2206)  # the entry now points at leaf2's port
    keys = paramiko.HostKeys(view).lookup("[127.0.0.1]:2206")
    assert keys is not None
    assert keys["ssh-ed25519"].get_base64() == KEY_A.split()[1]  # leaf2's key would be a mismatch


def test_a_file_is_a_device_pin_when_named_after_it_or_naming_one_host(tmp_path: Path) -> None:
    shared = tmp_path / "known_hosts"
    shared.write_text(f"[127.0.0.1]:2205 {KEY_A}\n[127.0.0.1]:2206 {KEY_B}\n")
    own = tmp_path / "pin"
    own.write_text(f"leaf1.example.net,10.0.0.1 {KEY_A}\nleaf1.example.net,10.0.0.1 {KEY_B}\n")
    assert not is_device_pin(str(shared), "leaf1")
    assert is_device_pin(str(own), "leaf1")
    assert is_device_pin(str(tmp_path / "leaf1"), "leaf1")


def test_system_host_keys_are_never_loaded_over_a_pin(tmp_path: Path) -> None:
    pin = tmp_path / "leaf1"
    pin.write_text(f"[127.0.0.1]:2205 {KEY_A}\n")
    kwargs = connect_kwargs(SshTarget("leaf1", "127.0.0.1", 2205, known_hosts=str(pin)))
    assert kwargs["system_host_keys"] is False
    assert kwargs["ssh_strict"] is True
    assert kwargs["alt_host_keys"] is True


def test_a_conflicting_system_line_is_named_by_file_and_line(tmp_path: Path) -> None:
    system = tmp_path / "known_hosts"
    hashed = paramiko.HostKeys.hash_host("[127.0.0.1]:2205")
    system.write_text(f"# mine\n[127.0.0.1]:2205 {KEY_A}\n{hashed} {KEY_B}\n[127.0.0.1]:2299 {KEY_B}\n")
    pin = tmp_path / "leaf1"
    pin.write_text(f"[127.0.0.1]:2205 {KEY_A}\n")
    found = system_conflicts("127.0.0.1", 2205, pinned_keys(str(pin)), str(system))
    assert found == [
        f"{system}:3 has a different ssh-ed25519 key for [127.0.0.1]:2205 than the inventory pins; it is ignored "
        "(only the inventory's pin is used) - remove or correct that line"
    ]


@pytest.mark.parametrize("reported", ["leaf1", "LEAF1", "leaf1.fabric.example.net", None, "sonic", "localhost"])
def test_the_planned_device_or_an_unnamed_image_is_accepted(reported: str | None) -> None:
    verify_identity("leaf1", reported)


def test_another_device_answering_is_refused_before_any_write() -> None:
    with pytest.raises(DeviceError, match=r"reports hostname 'leaf2', not 'leaf1'.*nothing was written"):
        verify_identity("leaf1", "leaf2")


def test_an_inventory_identity_is_strict() -> None:
    verify_identity("spine-01", "sw-dc1-sp01", expected="sw-dc1-sp01")
    with pytest.raises(DeviceError, match="no usable hostname"):
        verify_identity("spine-01", "sonic", expected="sw-dc1-sp01")
