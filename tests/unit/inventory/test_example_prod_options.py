"""example-prod, read by plain Nornir: every host its own connection options, strict pins only."""

from __future__ import annotations

from pathlib import Path

from nornir import InitNornir

ROOT = Path(__file__).resolve().parents[3]
INV = ROOT / "inventories" / "example-prod"


def test_every_host_has_its_own_strict_options_and_none_are_shared() -> None:
    files = {f"{k}_file": str(INV / f"{k}s.yaml") for k in ("host", "group")}
    files["defaults_file"] = str(INV / "defaults.yaml")
    nr = InitNornir(inventory={"plugin": "SimpleInventory", "options": files}, logging={"enabled": False})
    seen: list[tuple[object, str]] = []  # kept alive, so an id is never reused
    for host in nr.inventory.hosts.values():
        netmiko = host.get_connection_parameters("netmiko").extras
        assert (netmiko["ssh_strict"], netmiko["system_host_keys"]) == (True, False), host.name
        owned: list[object] = [netmiko]
        if "sonic" in host.groups:
            napalm = host.get_connection_parameters("napalm")
            assert napalm.platform == "rocesonic"
            assert napalm.extras["optional_args"] == {"device_name": host.name, "system_host_keys": False}
            owned += [napalm.extras, napalm.extras["optional_args"]]
        for obj in owned:
            shared = [owner for other, owner in seen if other is obj]
            assert not shared, f"{host.name} shares an options dict with {shared}"
            seen.append((obj, host.name))
    assert len(nr.inventory.hosts) == 16
