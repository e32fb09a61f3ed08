import pytest
from checks_builders import case_id, golden, load_cases
from checks_cases import assert_case

from agent.checks.engine import run_checks
from agent.checks.registry import CheckSelection

CASES = load_cases("segregation.yaml")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_segregation_case(case: dict) -> None:
    assert_case(case)


@pytest.mark.parametrize("links", ["links_lab.yaml", "links_segregation.yaml"])
def test_golden_fabric_is_segregated(links: str) -> None:
    """The compliant fabric (front-end ports built from the lossy plan) passes every segregation check,
    so each case's finding is the patch's doing."""
    intents, states, topo = golden(links)
    assert [f for f in run_checks(intents, states, topo, CheckSelection.parse(["segregation"]))] == []


def test_front_end_ports_get_the_lossy_plan() -> None:
    intents, _, _ = golden("links_segregation.yaml")
    assert intents["fleaf1"].ports["Ethernet0"].lossless_priorities == ()
    assert intents["host1"].ports["eth2"].network == "frontend"
    assert intents["host1"].ports["eth1"].lossless_priorities == (3,)


def test_host_data_network_overrides_the_link() -> None:
    """interface_networks on a host wins for its own port (the link check then reports the disagreement)."""
    from checks_builders import policy, topology

    from agent.intent import InventoryDevice, build_device_intent
    from agent.state import DeviceKind

    dev = InventoryDevice("host1", DeviceKind.host, "linux-rdma", interface_networks={"eth1": "frontend"})
    intent = build_device_intent(dev, policy(), topology("links_segregation.yaml"))
    assert intent.ports["eth1"].network == "frontend"
    assert intent.ports["eth1"].lossless_priorities == ()
    assert intent.ports["eth2"].network == "frontend"
