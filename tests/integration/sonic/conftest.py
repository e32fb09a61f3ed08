"""In-process SONiC twin for leaf1 (4 cabled 400G ports + 2 uncabled) and the lab policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from agent.intent import DeviceIntent, InventoryDevice, build_device_intent
from agent.policy.model import Policy
from agent.state import DeviceKind
from agent.topology.model import Endpoint, Link, Topology
from rocelab.sonic.twin import SonicTwin
from rocelab.twin import TwinPort

from .sonic_twin_runner import CABLED, TwinRunner

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sonic_platform"


def leaf1_twin() -> SonicTwin:
    ports = [TwinPort(name, 400_000, neighbor, role) for name, (neighbor, role) in CABLED.items()]
    ports += [TwinPort("Ethernet16", 400_000), TwinPort("Ethernet20", 400_000)]
    return SonicTwin("leaf1", ports)


@pytest.fixture
def twin() -> SonicTwin:
    return leaf1_twin()


@pytest.fixture
def runner(twin: SonicTwin) -> TwinRunner:
    return TwinRunner(twin)


@pytest.fixture
def intent() -> DeviceIntent:
    policy = Policy.model_validate(YAML(typ="safe").load((FIXTURES / "policy.yaml").read_text()))
    links = [
        Link(Endpoint("leaf1", port), Endpoint.parse(peer), role)  # type: ignore[arg-type]
        for port, (peer, role) in CABLED.items()
    ]
    dev = InventoryDevice("leaf1", DeviceKind.switch, "sonic", role="leaf", default_speed_mbps=400_000)
    return build_device_intent(dev, policy, Topology(links=links))
