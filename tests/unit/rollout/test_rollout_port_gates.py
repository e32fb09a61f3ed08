"""The soak's counters gate judges each port by its own intent: since per-link profiles a spine runs
lossless ports and a lossy one (toward the inference pod), and drops on the lossy port's RoCE priority
are ECN's business, not lossless drops; drops on a lossless port of the same spine still halt."""

from __future__ import annotations

from typing import Any

from rollout_fakes import FakeLab
from test_rollout_transition import pod2_on

from agent.rollout.batch_gates import BatchGates
from agent.rollout.playbook import Stage
from agent.rollout.progress import JsonProgress
from agent.rollout.result import DeviceRecord
from agent.state import DeviceKind, DeviceState, PortCounters, PortState

LOSSLESS_PORT, LOSSY_PORT = "Ethernet0", "Ethernet4"  # spine1 toward leaf1 (training), toward leaf2 (inference)


def spine(drops: dict[str, int]) -> DeviceState:
    """spine1 with `drops` on priority 3's queue, per port (both ports map priority 3 to queue 3)."""
    ports = {
        name: PortState(name=name, counters=PortCounters(queue_drops={3: drops.get(name, 0)}))
        for name in (LOSSLESS_PORT, LOSSY_PORT)
    }
    return DeviceState(name="spine1", kind=DeviceKind.switch, platform="sonic", ports=ports)


def soak(lab: FakeLab, after: dict[str, int]) -> tuple[list[str], dict[str, Any]]:
    """One soak of spine1 through the runner's gate half: counters read before (none) and after."""
    pod2_on(lab, "inference")
    session = lab.session("pod2-to-lossy.yaml")
    assert session.intents["spine1"].ports[LOSSY_PORT].lossless_priorities == ()
    assert session.intents["spine1"].ports[LOSSLESS_PORT].lossless_priorities == (3,)
    reads = [spine({}), spine(after)]
    gates: list[dict[str, Any]] = []

    def on_devices(devices: list[str], _step: str, _fn: object, **_kw: object) -> dict[str, Any]:
        state = reads.pop(0)
        return {d: state for d in devices}

    def emit(event: str, **fields: Any) -> dict[str, Any]:
        gates.append({"event": event, **fields})
        return gates[-1]

    batch = BatchGates(
        fabric=lab.fabric(session),
        on_devices=on_devices,
        emit=emit,
        sink=JsonProgress(lab.out),
        sleep=lambda _s: None,
        devices={"spine1": DeviceRecord(changed=True)},
        link_flap_wait=0,
    )
    reasons = batch.soak(Stage(name="switches", select="spine1", soak=60), ["spine1"], ("switches", 1))
    assert reads == []  # read before and after the soak
    return reasons, gates[-1]


def test_drops_on_a_lossy_ports_roce_priority_do_not_halt_the_soak(lab: FakeLab) -> None:
    reasons, gate = soak(lab, {LOSSY_PORT: 500})
    assert reasons == []
    assert gate["passed"] is True
    assert gate["deltas"]["spine1"] == {}  # the lossy port's priority 3 is not watched at all


def test_drops_on_a_lossless_port_of_the_same_spine_halt_it(lab: FakeLab) -> None:
    reasons, gate = soak(lab, {LOSSY_PORT: 500, LOSSLESS_PORT: 2})
    assert reasons == ["spine1: 2 new lossless drops (Ethernet0/3 +2); allowed 0"]
    assert gate["passed"] is False
    assert gate["deltas"]["spine1"] == {"drops:Ethernet0/3": 2}
