"""The rocesonic driver hands the inventory's SSH options to Netmiko unchanged (plain NAPALM/nornir_napalm use)."""

from __future__ import annotations

from typing import Any

import pytest

from agent.platforms.sonic import driver as driver_module
from agent.platforms.sonic.driver import RoceSonicDriver
from agent.transports.ssh import SshTarget, connect_kwargs


def _kwargs(monkeypatch: pytest.MonkeyPatch, optional_args: dict[str, Any]) -> dict[str, Any]:
    seen: list[SshTarget] = []
    monkeypatch.setattr(driver_module.NetmikoRunner, "connect", classmethod(lambda cls, t: seen.append(t) or t))
    monkeypatch.setattr("agent.transports.ssh.pinned_keys_file", lambda path, host, port: path)
    RoceSonicDriver("127.0.0.1", "admin", "", optional_args=optional_args).open()
    (target,) = seen
    return connect_kwargs(target)


def test_inventory_options_reach_netmiko(monkeypatch: pytest.MonkeyPatch) -> None:
    args = {"port": 2205, "use_keys": True, "key_file": "/lab/id_ed25519", "alt_host_keys": True,
            "alt_key_file": "/inv/known_hosts.d/leaf1", "system_host_keys": False, "device_name": "leaf1"}  # fmt: skip
    kwargs = _kwargs(monkeypatch, args)
    assert (kwargs["port"], kwargs["key_file"], kwargs["use_keys"]) == (2205, "/lab/id_ed25519", True)
    assert (kwargs["alt_host_keys"], kwargs["alt_key_file"]) == (True, "/inv/known_hosts.d/leaf1")
    assert (kwargs["ssh_strict"], kwargs["system_host_keys"]) == (True, False)  # strict unless told otherwise


def test_system_host_keys_default_and_insecure_opt_out(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _kwargs(monkeypatch, {})["system_host_keys"] is True  # no pin given: ~/.ssh/known_hosts may verify
    assert _kwargs(monkeypatch, {"alt_key_file": "/k"})["system_host_keys"] is False  # never over a pin (issue 13)
    relaxed = _kwargs(monkeypatch, {"ssh_strict": False, "alt_key_file": "/k"})
    assert (relaxed["ssh_strict"], relaxed["system_host_keys"]) == (False, False)
    assert "alt_key_file" not in relaxed
