"""Hand-built counter samples for the monitor's unit tests (the platform reads are tested on real output)."""

from __future__ import annotations

from agent.counters import CounterSample, PortSample
from agent.monitor.metrics import DeviceContext

SWITCH = DeviceContext("leaf1", host=False, lossless=frozenset({3, 4}), roce=frozenset({3}), cnp=6)
HOST = DeviceContext("host1", host=True, lossless=frozenset({3}), roce=frozenset({3}), cnp=6)


def switch_sample(at: float, **counters: dict[int, int]) -> CounterSample:
    return CounterSample("leaf1", at, {"Ethernet0": PortSample(**counters)})  # type: ignore[arg-type]


def host_sample(at: float, port: PortSample) -> CounterSample:
    return CounterSample("host1", at, {"eth1": port})
