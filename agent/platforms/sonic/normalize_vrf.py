"""Which VRF a SONiC port's traffic is routed in (for the segregation checks).

CONFIG_DB keeps the binding on the L3 interface, not on the port: `INTERFACE|Ethernet0` (a routed
port) or `VLAN_INTERFACE|Vlan1000` (the SVI of a VLAN the port is a member of) carry `vrf_name`; keys
with an address (`INTERFACE|Ethernet0|10.0.0.1/31`) only add addresses. No `vrf_name` means the
default VRF; no L3 interface at all means the port routes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_VRF = "default"


def _vrf_of(table: Mapping[str, Any], name: str) -> str | None:
    entry = table.get(name)
    if entry is None:
        return None
    vrf = entry.get("vrf_name") if isinstance(entry, dict) else None
    return vrf if isinstance(vrf, str) and vrf else DEFAULT_VRF


def port_vrfs(
    interfaces: Mapping[str, Any], vlan_interfaces: Mapping[str, Any], port: str, vlans: list[int]
) -> list[str]:
    """The VRFs of the port's own L3 interface and of its VLANs' SVIs, sorted; [] when none exists."""
    found = {_vrf_of(interfaces, port)} | {_vrf_of(vlan_interfaces, f"Vlan{v}") for v in vlans}
    return sorted(v for v in found if v is not None)
