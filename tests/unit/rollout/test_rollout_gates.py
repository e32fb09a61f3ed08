"""Counter gate arithmetic over a soak window."""

from __future__ import annotations

from agent.rollout.gates import WatchedPriorities, counter_gate
from agent.state import DeviceKind, DeviceState, PortCounters, PortState


def state(drops: dict[int, int], pg: dict[int, int] | None = None, storms: dict[int, int] | None = None) -> DeviceState:
    counters = PortCounters(queue_drops=drops, pg_drops=pg or {}, watchdog_storms=storms or {})
    port = PortState(name="Ethernet0", counters=counters)
    return DeviceState(name="leaf1", kind=DeviceKind.switch, platform="sonic", ports={"Ethernet0": port})


def prios(_device: str) -> WatchedPriorities:
    return WatchedPriorities((3, 4))


def test_new_drops_on_lossless_priorities_fail_the_gate() -> None:
    before, after = state({3: 10, 0: 5}), state({3: 12, 0: 900}, {4: 1})
    reasons, deltas = counter_gate({"leaf1": before}, {"leaf1": after}, prios, 0, 0)
    assert deltas["leaf1"] == {"drops:Ethernet0/3": 2, "drops:Ethernet0/4": 1}  # lossy priority 0 ignored
    assert reasons == ["leaf1: 3 new lossless drops (Ethernet0/3 +2, Ethernet0/4 +1); allowed 0"]


def test_allowance_and_counter_reset() -> None:
    reasons, deltas = counter_gate({"leaf1": state({3: 100})}, {"leaf1": state({3: 4})}, prios, 5, 0)
    assert deltas["leaf1"] == {"drops:Ethernet0/3": 4}  # cleared counters count from zero
    assert reasons == []


def test_watchdog_storms() -> None:
    reasons, _ = counter_gate({"leaf1": state({}, storms={3: 1})}, {"leaf1": state({}, storms={3: 2})}, prios, 0, 0)
    assert reasons == ["leaf1: 1 new PFC watchdog storms (Ethernet0/3 +1); allowed 0"]


def test_drops_are_read_from_the_queue_and_pg_the_port_maps_the_priority_to() -> None:
    def mapped(drops: dict[int, int]) -> DeviceState:
        counters = PortCounters(queue_drops=drops, pg_drops={7: drops.get(9, 0)})
        port = PortState(name="Ethernet0", counters=counters, priority_to_queue={3: 5}, priority_to_pg={3: 7})
        return DeviceState(name="leaf1", kind=DeviceKind.switch, platform="sonic", ports={"Ethernet0": port})

    reasons, deltas = counter_gate({"leaf1": mapped({5: 1, 3: 0})}, {"leaf1": mapped({5: 4, 3: 50})}, prios, 0, 0)
    assert deltas["leaf1"] == {"drops:Ethernet0/3": 3}  # queue 5 moved by 3; queue 3 is not priority 3's queue
    assert len(reasons) == 1
