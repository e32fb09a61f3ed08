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

    def baseline(self, devices: list[str], where: Where) -> tuple[dict[str, DeviceState], list[str]]:
        """Counters before a transition's apply; a device whose drops cannot be counted is not changed
        (the errors fail the batch before anything is written)."""
        states, errors = self.observe(devices, "counters", where)
        if errors:
            self.emit("gate", **at(where), gate_name="change-window", passed=False, reasons=errors)
        return states, errors

    def soak(
        self, stage: Stage, batch: list[str], where: Where, baseline: dict[str, DeviceState] | None = None
    ) -> list[str]:
        """Counters read before and after the soak window; with a `baseline` (read before the apply, as a
        transition does) the window is apply + soak, and the RoCE priorities are watched in either mode."""
        if not any(self.devices[d].changed for d in batch) or not (stage.soak or baseline is not None):
            return []  # nothing changed here (or no window asked): there is nothing for the counters to judge
        errors: list[str] = []
        before = baseline
        if before is None:
            before, errors = self.observe(batch, "counters", where)
        gate = stage.gate
        label = "lossless" if baseline is None else "RoCE-priority"
        if stage.soak:
            self.sink.waiting(
                f"soak {stage.soak}s on {', '.join(batch)}: no new {label} drops (max {gate.max_new_lossless_drops}), "
                f"no new PFC watchdog storms (max {gate.max_new_watchdog_storms})",
                stage.soak,
            )
            self.sleep(stage.soak)
        after, errors2 = self.observe(batch, "counters", where)
        priorities = self.fabric.lossless_priorities if baseline is None else self.fabric.roce_priorities
        reasons, deltas = counter_gate(
            before, after, priorities, gate.max_new_lossless_drops, gate.max_new_watchdog_storms, label
        )
        reasons = errors + errors2 + reasons
        self.emit(
            "gate",
            **at(where),
            gate_name="soak" if baseline is None else "change-window",
            seconds=stage.soak,
            deltas=deltas,
            passed=not reasons,
            reasons=reasons,
        )
        return reasons
