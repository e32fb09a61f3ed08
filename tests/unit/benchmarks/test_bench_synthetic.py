"""The synthetic fabric of the engine benchmark: deterministic, shaped as declared, faults really found."""

import pytest

from agent.checks.engine import run_checks
from agent.state import DeviceKind
from benchmarks.synthetic import FabricShape, clos_links, synthetic_fabric

SMALL = FabricShape(switches=12, ports_per_switch=16, hosts=40, spines=2, uplinks_per_leaf=2)


def test_same_seed_same_fabric_other_seed_other_faults() -> None:
    a, b = synthetic_fabric(SMALL, seed=7, fault_fraction=0.2), synthetic_fabric(SMALL, seed=7, fault_fraction=0.2)
    assert a.faults == b.faults
    assert {n: s.model_dump() for n, s in a.states.items()} == {n: s.model_dump() for n, s in b.states.items()}
    assert synthetic_fabric(SMALL, seed=8, fault_fraction=0.2).faults != a.faults


def test_shape() -> None:
    fabric = synthetic_fabric(SMALL, seed=1)
    switches = [s for s in fabric.states.values() if s.kind is DeviceKind.switch]
    hosts = [s for s in fabric.states.values() if s.kind is DeviceKind.host]
    assert len(switches) == 12
    assert len(hosts) == 40
    assert {len(s.ports) for s in switches} == {16}
    assert len(fabric.topology.links) == 40 + 10 * 2
    ends = [e for link in fabric.topology.links for e in link.ends()]
    assert len(ends) == len(set(ends))


def test_a_fabric_without_faults_is_clean_and_every_seeded_fault_is_found() -> None:
    clean = synthetic_fabric(SMALL, seed=3, fault_fraction=0.0)
    clean_findings = run_checks(clean.intents, {n: s for n, s in clean.states.items() if n not in clean.faults},
                                clean.topology)  # fmt: skip
    faulty = synthetic_fabric(SMALL, seed=3, fault_fraction=0.25)
    assert len(faulty.faults) == 13
    flagged = {f.device for f in run_checks(faulty.intents, faulty.states, faulty.topology)}
    assert set(faulty.faults) <= flagged
    # the one device fault_fraction=0 still seeds (max(1, ...)) is left out above: the rest is compliant
    assert [f for f in clean_findings if f.severity.value == "error" and f.device not in clean.faults] == []


def test_impossible_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="leaf has more cables"):
        clos_links(FabricShape(switches=3, ports_per_switch=4, hosts=40, spines=1))
    with pytest.raises(ValueError, match="spine has more cables"):
        clos_links(FabricShape(switches=40, ports_per_switch=8, hosts=39, spines=1, uplinks_per_leaf=1))
