"""What the pre-flight learns from the devices about lossless <-> lossy moves, and the refusals it makes.

Whether a rollout moves a device between modes depends on what the device runs now, so it is judged
once the pre-flight has read every device: a device whose ports have PFC now and whose intent has none
moves to lossy (and the reverse to lossless); per port likewise (a spine port facing a leaf that moves).

* Any rollout: if the stages would change a switch to lossy before (or in the same batch as) a host
  moving to lossy, or a host to lossless before a switch, it stops with nothing written, saying the
  safe order and why. A `transition:` playbook is ordered by construction (agent.rollout.transition).
* A transition: a port that moves while the device at the other end of its cable is not in the
  transition would leave that link with PFC on one end only; it stops with nothing written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from agent.intent import DeviceIntent
from agent.policy.model import RoceMode
from agent.rollout.stages import ResolvedStage
from agent.rollout.transition import STEP_NAMES, TransitionOrder
from agent.state import DeviceKind, DeviceState

Position = tuple[int, int]  # (stage index, batch index): the order the rollout changes devices in


@dataclass(frozen=True)
class Move:
    """A device's move between modes: the device's as a whole (None: it keeps its mode), and each of
    its cabled ports that changes mode, with the far end of that port's cable."""

    mode: RoceMode | None = None
    ports: dict[str, tuple[RoceMode, str | None]] = field(default_factory=dict)  # port -> (mode, "peer:port")


def _to(was: bool, will: bool) -> RoceMode | None:
    if was == will:
        return None
    return RoceMode.lossless if will else RoceMode.lossy


def mode_move(intent: DeviceIntent, state: DeviceState) -> Move:
    """How this rollout moves the device between lossless and lossy (nothing, when it keeps its modes)."""
    was = any(port.lossless_priorities for port in state.ports.values())
    wanted = [p.lossless_priorities for p in intent.ports.values()] or [intent.policy.lossless_priorities]
    ports: dict[str, tuple[RoceMode, str | None]] = {}
    for name, want in intent.ports.items():
        live = state.ports.get(name)
        moved = _to(bool(live.lossless_priorities), bool(want.lossless_priorities)) if live is not None else None
        if moved is not None:
            ports[name] = (moved, want.peer)
    return Move(_to(was, any(wanted)), ports)


def peer_reasons(moves: Mapping[str, Move], targeted: set[str]) -> list[str]:
    """Ports of a transition that change mode while the device at the other end is left out."""
    reasons: list[str] = []
    for device, move in sorted(moves.items()):
        for port, (mode, peer) in sorted(move.ports.items()):
            far = peer.partition(":")[0] if peer else None
            if far is not None and far not in targeted:
                reasons.append(
                    f"{device}:{port} would go {mode.value} but {peer} at the other end of its cable is not in this "
                    f"transition: the link would run PFC on one end only; add {far} to the targets"
                )
    return reasons


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
