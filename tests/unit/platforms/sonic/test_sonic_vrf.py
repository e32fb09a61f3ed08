"""VRF bindings read from real SONiC CONFIG_DB (sonic-utilities' mock tables): the segregation checks
compare them with the policy's networks.vrfs."""

from __future__ import annotations

import copy
import json
from typing import Any

from agent.platforms.sonic.gather import SonicRaw, parse_config_db
from agent.platforms.sonic.normalize import normalize
from agent.platforms.sonic.normalize_vrf import DEFAULT_VRF
from agent.state import DeviceState
from tests.unit.platforms.sonic.real_sonic_db import cfggen_print_data, mock_db


def _state(cfg: dict[str, Any]) -> DeviceState:
    return normalize(SonicRaw(device="mock", config_db=parse_config_db("mock", json.dumps(cfg))))


def _members(vlan: str) -> list[str]:
    return [k.split("|")[2] for k in mock_db("config_db") if k.startswith(f"VLAN_MEMBER|{vlan}|")]


def test_vrf_table_and_default_bindings_of_the_real_mock_switch() -> None:
    db = mock_db("config_db")
    state = _state(cfggen_print_data())
    assert state.vrfs == sorted(k.split("|", 1)[1] for k in db if k.startswith("VRF|"))
    routed = db["INTERFACE|Ethernet0"]
    assert state.ports["Ethernet0"].vrfs == [routed.get("vrf_name", DEFAULT_VRF)]
    svi = db["VLAN_INTERFACE|Vlan1000"]
    for port in _members("Vlan1000"):
        assert state.ports[port].vrfs == [svi.get("vrf_name", DEFAULT_VRF)], port
    unrouted = [p for p in state.ports if f"INTERFACE|{p}" not in db and not state.ports[p].vlans]
    assert unrouted
    assert all(state.ports[p].vrfs == [] for p in unrouted)


def test_vrf_name_on_the_interface_and_on_the_svi() -> None:
    cfg = copy.deepcopy(cfggen_print_data())
    vrf = next(k.split("|", 1)[1] for k in mock_db("config_db") if k.startswith("VRF|"))
    cfg["INTERFACE"]["Ethernet0"]["vrf_name"] = vrf
    cfg["VLAN_INTERFACE"]["Vlan1000"]["vrf_name"] = vrf
    state = _state(cfg)
    assert state.ports["Ethernet0"].vrfs == [vrf]
    assert {p: state.ports[p].vrfs for p in _members("Vlan1000")} == {key: [vrf] for key in _members("Vlan1000")}
