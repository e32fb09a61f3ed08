"""The judging half of a batch: read the devices and decide whether a gate passes.

Split from the runner (agent.rollout.runner), which changes devices and handles failures: a gate only
reads (state through the platform adapters, counters twice around a soak) and records its verdict in the
trail, so it needs the fabric, the per-device step helper, the trail/progress emitters and the waits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.rollout.fabric import Fabric
from agent.rollout.gates import counter_gate, finding_reasons
from agent.rollout.playbook import Stage
from agent.rollout.progress import ProgressSink
from agent.rollout.result import DeviceRecord
from agent.rollout.steps import Where
from agent.state import DeviceKind, DeviceState

OnDevices = Callable[..., dict[str, Any]]  # agent.rollout.steps.on_devices bound to Nornir and the sink
Emit = Callable[..., dict[str, Any]]  # RolloutRunner.emit: to the trail, then to the progress sink


def at(where: Where | None) -> dict[str, Any]:
    """The trail fields that say where in the rollout an event happened."""
    return {"stage": where[0], "batch": where[1]} if where else {}


@dataclass
class BatchGates:
    fabric: Fabric
    on_devices: OnDevices
    emit: Emit
    sink: ProgressSink
    sleep: Callable[[float], None]
    devices: dict[str, DeviceRecord]  # the runner's records (shared): which devices this rollout changed
    link_flap_wait: float

    def observe(self, devices: list[str], step: str, where: Where) -> tuple[dict[str, DeviceState], list[str]]:
        res = self.on_devices(devices, step, self.fabric.observe, where=where)
        states = {d: r for d, r in res.items() if isinstance(r, DeviceState)}
        errors = [f"{d}: could not read state: {r}" for d, r in res.items() if isinstance(r, BaseException)]
        return states, errors

    def check_gate(self, kind: str, devices: list[str], ids: list[str], where: Where) -> list[str]:
        if not ids:
            return []
        states, errors = self.observe(devices, kind, where)
        reasons = errors + finding_reasons(kind, self.fabric.findings(states, ids))
        self.emit("gate", **at(where), gate_name=kind, checks=ids, passed=not reasons, reasons=reasons)
        return reasons

    def wait_for_links(self, batch: list[str], where: Where) -> None:
        """mlx5 flaps the link when the PFC mask changes; let RDMA links come back before judging them."""
        flapped = [d for d in batch if self.devices[d].changed and self.fabric.kind_of(d) is DeviceKind.host]
        wait = self.link_flap_wait
        if flapped and wait:
            self.sink.waiting(
                f"link flap on {', '.join(flapped)}: letting RDMA links settle after the PFC change", wait
            )
            self.sleep(wait)

    def soak(self, stage: Stage, batch: list[str], where: Where) -> list[str]:
        if not stage.soak or not any(self.devices[d].changed for d in batch):
            return []  # nothing changed here: there is nothing for the counters to judge
        before, errors = self.observe(batch, "counters", where)
        gate = stage.gate
        self.sink.waiting(
            f"soak {stage.soak}s on {', '.join(batch)}: no new lossless drops (max {gate.max_new_lossless_drops}), "
            f"no new PFC watchdog storms (max {gate.max_new_watchdog_storms})",
            stage.soak,
        )
        self.sleep(stage.soak)
        after, errors2 = self.observe(batch, "counters", where)
        reasons, deltas = counter_gate(
            before,
            after,
            self.fabric.lossless_priorities,
            stage.gate.max_new_lossless_drops,
            stage.gate.max_new_watchdog_storms,
        )
        reasons = errors + errors2 + reasons
        self.emit(
            "gate",
            **at(where),
            gate_name="soak",
            seconds=stage.soak,
            deltas=deltas,
            passed=not reasons,
            reasons=reasons,
        )
        return reasons
