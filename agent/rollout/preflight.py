"""The rollout's pre-flight: every staged device planned once before the first write.

A platform's own pre-flight runs inside its plan (SONiC: the lookup rows a cable length needs, the
GCU validators); a device that refuses stops the whole rollout with nothing written, instead of
converging the canary and halting later with a mixed fabric. Devices that cannot be planned at all
(unreachable) stop it too where their stage's gate could not absorb them in their own batch.
Read with the plans, each device's move between lossless and lossy (if any) lets a plain rollout
that moves modes in an unsafe order be refused here too (agent.rollout.mode_order). Only reads: the
plans are not kept (each batch plans again against the state it finds).
"""

from __future__ import annotations

from collections.abc import Mapping

from agent.errors import PreflightRefused
from agent.failure import exception_reason
from agent.rollout.batch_gates import Emit, OnDevices
from agent.rollout.fabric import Fabric
from agent.rollout.mode_order import Move, order_reasons, peer_reasons
from agent.rollout.playbook import Stage
from agent.rollout.result import DeviceRecord
from agent.rollout.stages import ResolvedStage


def preflight(
    fabric: Fabric,
    on_devices: OnDevices,
    emit: Emit,
    devices: Mapping[str, DeviceRecord],
    stages: list[ResolvedStage],
    stage_of: Mapping[str, Stage],
    transition: bool = False,
) -> list[str]:
    """The reasons to stop now (empty: go ahead); every device record says why when there are some."""
    reasons: list[str] = []
    unplanned: dict[str, str] = {}
    moves: dict[str, Move] = {}
    for dev, res in on_devices(list(devices), "pre-flight", fabric.plan_with_move).items():
        if isinstance(res, PreflightRefused):
            reasons.append(str(res))
            emit("preflight_refused", device=dev, reasons=res.reasons)
        elif isinstance(res, BaseException):
            unplanned[dev] = exception_reason(res)
        elif not res[0].empty:
            moves[dev] = res[1]
    reasons += _beyond_tolerance(unplanned, emit, stages, stage_of)
    modes = {d: m.mode for d, m in moves.items() if m.mode is not None}
    unsafe = order_reasons(modes, stages, fabric.kind_of)
    unsafe += peer_reasons(moves, set(devices)) if transition else []
    if unsafe:
        emit("mode_order_refused", moves={d: m.value for d, m in sorted(modes.items())}, reasons=unsafe)
    reasons += unsafe
    for rec in devices.values() if reasons else ():
        rec.reason = rec.reason or "not changed: the pre-flight refused the rollout (nothing was written)"
    return reasons


def _beyond_tolerance(
    unplanned: dict[str, str], emit: Emit, stages: list[ResolvedStage], stage_of: Mapping[str, Stage]
) -> list[str]:
    """Per stage: more devices that could not be planned than its gate's `max_failed_devices` is a
    reason to stop now; within the tolerance they are left to fail (and be reported) in their batch."""
    reasons: list[str] = []
    for resolved in stages:
        failed = [d for batch in resolved.batches for d in batch if d in unplanned]
        if len(failed) <= stage_of[resolved.name].gate.max_failed_devices:
            continue
        for dev in failed:
            reasons.append(f"{dev}: pre-flight could not plan it: {unplanned[dev]}")
            emit("preflight_failed", device=dev, stage=resolved.name, reason=unplanned[dev])
    return reasons
