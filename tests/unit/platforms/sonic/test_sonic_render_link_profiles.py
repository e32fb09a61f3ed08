"""Render of ports whose link declares another profile than their switch's (links.yaml `roce_profile:`).

The port takes the link profile's mode and nothing switch-wide: a lossy port on a lossless switch loses
pfc_enable, pfcwd_sw_enable and its watchdog timers while the switch's other ports keep them; a lossless
port on a lossy switch gets PFC, the watchdog of its own profile and its TC -> PG entry (the map is one per
switch). DSCP map, queues, WRED and schedulers stay the device's.
"""

from __future__ import annotations

from agent.intent import DeviceIntent, InventoryDevice, build_device_intent
from agent.platforms.sonic.render import render
from agent.policy.model import Policy
from agent.state import DeviceKind
from agent.topology.model import Endpoint, Link, Topology

LOSSLESS = Policy.model_validate({"baseline": "nvidia-roce", "name": "training"})
LOSSY = Policy.model_validate({"baseline": "nvidia-roce-lossy", "name": "inference"})
PROFILES = {"training": LOSSLESS, "inference": LOSSY}


def spine(policy: Policy, uplink_profile: str) -> DeviceIntent:
    """spine1: Ethernet0 to a training leaf (undeclared), Ethernet4 to a leaf whose link declares a profile."""
    topo = Topology(
        links=[
            Link(Endpoint("leaf1", "Ethernet8"), Endpoint("spine1", "Ethernet0")),
            Link(Endpoint("leaf3", "Ethernet8"), Endpoint("spine1", "Ethernet4"), profile=uplink_profile),
        ]
    )
    dev = InventoryDevice("spine1", DeviceKind.switch, "sonic", role="spine", default_speed_mbps=400_000)
    return build_device_intent(dev, policy, topo, PROFILES)


def test_a_lossy_link_on_a_lossless_switch_drops_pfc_and_watchdog_on_that_port_only() -> None:
    cfg = render(spine(LOSSLESS, "inference"))
    qos = cfg["PORT_QOS_MAP"]
    assert (qos["Ethernet0"]["pfc_enable"], qos["Ethernet0"]["pfcwd_sw_enable"]) == ("3", "3")
    assert "pfc_enable" not in qos["Ethernet4"]
    assert "pfcwd_sw_enable" not in qos["Ethernet4"]
    assert cfg["PFC_WD"]["Ethernet0"]["detection_time"] == "200"
    assert cfg["PFC_WD"]["Ethernet4"] == {}
    assert cfg["TC_TO_PRIORITY_GROUP_MAP"]["ROCE"]["3"] == "3"  # switch-wide, the device's lossless map
    assert cfg["DEVICE_METADATA"]["localhost"]["default_pfcwd_status"] == "enable"


def test_switch_wide_tables_stay_the_devices_profile() -> None:
    """Only per-port PFC/watchdog cells differ from a switch whose links declare nothing."""
    declared = render(spine(LOSSLESS, "inference"))
    plain = render(spine(LOSSLESS, "training"))
    differing = {t for t in set(declared) | set(plain) if declared.get(t) != plain.get(t)}
    assert differing == {"PORT_QOS_MAP", "PFC_WD"}
    assert declared["WRED_PROFILE"] == plain["WRED_PROFILE"]  # the device's ECN thresholds on every port


def test_a_lossless_link_on_a_lossy_switch_gets_pfc_its_watchdog_and_its_pg() -> None:
    cfg = render(spine(LOSSY, "training"))
    qos = cfg["PORT_QOS_MAP"]
    assert "pfc_enable" not in qos["Ethernet0"]
    assert (qos["Ethernet4"]["pfc_enable"], qos["Ethernet4"]["pfcwd_sw_enable"]) == ("3", "3")
    assert cfg["PFC_WD"]["Ethernet4"] == {"action": "drop", "detection_time": "200", "restoration_time": "200"}
    assert cfg["PFC_WD"]["Ethernet0"] == {}
    assert cfg["TC_TO_PRIORITY_GROUP_MAP"]["ROCE"]["3"] == "3"  # else PFC on 3 would key PG 0
    assert cfg["DEVICE_METADATA"]["localhost"]["default_pfcwd_status"] == "disable"  # the device's
