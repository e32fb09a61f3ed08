"""The pre-flight's safety net for rollouts that move devices between lossless and lossy without saying so.

A `transition:` playbook is ordered by construction (agent.rollout.transition). A plain rollout cannot be
judged at validate time: whether it moves a device's mode depends on what the device runs now. Once the
pre-flight has read every device, it can: a device whose ports have PFC now and whose intent has none
moves to lossy (and the reverse to lossless). If the stages would then change a switch to lossy before
(or in the same batch as) a host moving to lossy, or a host to lossless before a switch, the rollout
stops with nothing written and says the safe order and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from agent.intent import DeviceIntent
from agent.policy.model import RoceMode
from agent.rollout.stages import ResolvedStage
from agent.rollout.transition import STEP_NAMES, TransitionOrder
from agent.state import DeviceKind, DeviceState

Position = tuple[int, int]  # (stage index, batch index): the order the rollout changes devices in


def mode_move(intent: DeviceIntent, state: DeviceState) -> RoceMode | None:
    """The mode the device moves to if this rollout changes it (lossless <-> lossy), else None."""
    was = any(port.lossless_priorities for port in state.ports.values())
    wanted = [p.lossless_priorities for p in intent.ports.values()] or [intent.policy.lossless_priorities]
    will = any(wanted)
    if was == will:
        return None
    return RoceMode.lossless if will else RoceMode.lossy


def positions(stages: list[ResolvedStage]) -> dict[str, Position]:
    return {d: (i, j) for i, s in enumerate(stages) for j, batch in enumerate(s.batches) for d in batch}


def order_reasons(
    moves: Mapping[str, RoceMode], stages: list[ResolvedStage], kind_of: Callable[[str], DeviceKind]
) -> list[str]:
    """Why the stages move modes in an unsafe order (empty: safe, or nothing changes mode)."""
    at = positions(stages)
    reasons: list[str] = []
    for mode in RoceMode:
        order = TransitionOrder("", mode)
        first, second = order.kinds
        firsts = [d for d, m in moves.items() if m is mode and kind_of(d) is first and d in at]
        seconds = [d for d, m in moves.items() if m is mode and kind_of(d) is second and d in at]
        if not firsts or not seconds:
            continue
        late = max(firsts, key=lambda d: at[d])
        early = min(seconds, key=lambda d: at[d])
        if at[late] < at[early]:
            continue
        s_stage, f_stage = stages[at[early][0]].name, stages[at[late][0]].name
        reasons.append(
            f"this rollout moves {STEP_NAMES[first]} and {STEP_NAMES[second]} to {mode.value}, and changes "
            f"{early} (stage {s_stage}) before or with {late} (stage {f_stage}): {order.why}. Write the move "
            "as a rollout with `transition: {to: PROFILE}` (playbooks/README.md, Transitions), or order the "
            f"stages so that the {STEP_NAMES[first]} change first"
        )
    return reasons
