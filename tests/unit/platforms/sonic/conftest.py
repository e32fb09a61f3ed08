"""Shared fixtures: the lab policy, leaf1's intent (2 host ports, 2 fabric ports, 400G) and a fake switch."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from agent.intent import DeviceIntent, InventoryDevice, build_device_intent
from agent.policy.model import Policy
from agent.state import DeviceKind
from agent.topology.model import Endpoint, Link, Topology

from .sonic_fake_switch import FakeSonic

FIXTURES = Path(__file__).parents[3] / "fixtures" / "sonic_platform"


def lab_policy() -> Policy:
    return Policy.model_validate(YAML(typ="safe").load((FIXTURES / "policy.yaml").read_text()))


def leaf1_topology() -> Topology:
    def link(a: str, b: str, role: str) -> Link:
        return Link(Endpoint.parse(a), Endpoint.parse(b), role)  # type: ignore[arg-type]

    return Topology(
        links=[
            link("leaf1:Ethernet0", "host1:eth1", "host"),
            link("leaf1:Ethernet4", "host2:eth1", "host"),
            link("leaf1:Ethernet8", "spine1:Ethernet0", "fabric"),
            link("leaf1:Ethernet12", "spine2:Ethernet0", "fabric"),
        ]
    )


def leaf1_intent(policy: Policy | None = None) -> DeviceIntent:
    dev = InventoryDevice(
        "leaf1", DeviceKind.switch, "sonic", role="leaf", groups=("leaves",), default_speed_mbps=400_000
    )
    return build_device_intent(dev, policy or lab_policy(), leaf1_topology())


@pytest.fixture
def intent() -> DeviceIntent:
    return leaf1_intent()


@pytest.fixture
def switch() -> FakeSonic:
    return FakeSonic()
