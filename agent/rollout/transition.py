"""Lossless <-> lossy transitions: the safe order, derived from the target profile's mode and enforced.

The order follows from one fact: a switch port with PFC and headroom is safe whatever its host does
(it honours pauses and absorbs in-flight bytes), a switch port without them is safe only for a host that
no longer counts on PFC. So the mixed state a transition passes through is always "switch lossless,
host lossy": to lossy the hosts go first, to lossless the switches go first.

The change of intent is not the playbook's: the inventory must already name the target profile for
every device the transition touches (a reviewed inventory commit), so `audit` after the rollout
compares the devices with what the inventory says and finds them compliant; the playbook only orders
the push. A transition refuses to start otherwise, and refuses hand-written stages in the wrong order,
both as located input errors (exit 2) before any device is contacted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from agent.errors import InputProblem
from agent.policy.model import RoceMode
from agent.policy.profiles import PolicySet
from agent.rollout.playbook import RolloutPlaybook, Stage, Transition, TransitionStep
from agent.rollout.stages import Candidate, ResolvedStage, StageSelect, split_batches
from agent.state import DeviceKind
from agent.topology.model import Link, Topology
from agent.yamlfile import line_of, read_yaml

TO_LOSSY = (
    "to lossy the hosts stop PFC first, then the switches: a host without PFC relies on ECN/DCQCN, which "
    "works against a switch port with or without PFC, while a switch that dropped PFC first would ignore "
    "the pauses of hosts still lossless and drop what they expect to be held"
)
TO_LOSSLESS = (
    "to lossless the switches get PFC and headroom first, then the hosts: a switch port with PFC and "
    "headroom honours pauses and absorbs in-flight data whatever its host does, while a host made lossless "
    "first would pause a switch port that ignores pauses and count on a fabric that still drops"
)
STEP_NAMES = {DeviceKind.host: "hosts", DeviceKind.switch: "switches"}
STEP_CHECKS = {DeviceKind.host: ["HOST-*"], DeviceKind.switch: ["SW-*"]}  # the step's devices, not their links


@dataclass(frozen=True)
class TransitionOrder:
    """The order a transition to `profile` runs in, and why (printed by --check, kept in the trail)."""

    profile: str
    mode: RoceMode

    @property
    def kinds(self) -> tuple[DeviceKind, DeviceKind]:
        if self.mode is RoceMode.lossy:
            return (DeviceKind.host, DeviceKind.switch)
        return (DeviceKind.switch, DeviceKind.host)

    @property
    def why(self) -> str:
        return TO_LOSSY if self.mode is RoceMode.lossy else TO_LOSSLESS

    def describe(self) -> str:
        first, second = (STEP_NAMES[k] for k in self.kinds)
        return f"transition to {self.profile} ({self.mode.value}): {first}, then {second}; {self.why}"

    def to_json(self) -> dict[str, object]:
        return {"to": self.profile, "mode": self.mode.value, "order": [STEP_NAMES[k] for k in self.kinds]}


def _step(tr: Transition, kind: DeviceKind) -> TransitionStep:
    return tr.hosts if kind is DeviceKind.host else tr.switches


def expand(
    tr: Transition, order: TransitionOrder, kinds: Mapping[str, DeviceKind]
) -> list[tuple[Stage, ResolvedStage]]:
    """The transition's steps as stages, in the safe order; a step with no device is left out."""
    out: list[tuple[Stage, ResolvedStage]] = []
    for kind in order.kinds:
        devices = sorted(d for d, k in kinds.items() if k is kind)
        if not devices:
            continue
        step = _step(tr, kind)
        stage = Stage(
            name=STEP_NAMES[kind],
            select="all",
            batch=step.batch,
            parallel=step.parallel,
            pre_checks=step.pre_checks,
            post_checks=STEP_CHECKS[kind] if step.post_checks is None else step.post_checks,
            soak=step.soak,
            gate=step.gate,
            failure_action=step.failure_action,
        )
        batches = split_batches([Candidate(d) for d in devices], StageSelect("all"), step.batch)
        out.append((stage, ResolvedStage(stage.name, batches)))
    return out


def with_stages(pb: RolloutPlaybook, stages: list[Stage]) -> RolloutPlaybook:
    """The playbook the runner runs: its transition written out as stages (the file is unchanged)."""
    return pb.model_copy(update={"stages": stages})


class _Locator:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.doc = read_yaml(path)

    def at(self, loc: tuple[str | int, ...], message: str) -> InputProblem:
        line = line_of(self.doc, loc) or line_of(self.doc, loc[:1])
        return InputProblem(self.path, line, ".".join(map(str, loc)), message)


def order_problems(
    path: Path, resolved: list[ResolvedStage], kinds: Mapping[str, DeviceKind], order: TransitionOrder
) -> list[InputProblem]:
    """Hand-written stages of a transition: each changes one kind of device, in the safe order."""
    where = _Locator(path)
    problems: list[InputProblem] = []
    first, second = order.kinds
    second_seen: str | None = None
    for i, stage in enumerate(resolved):
        present = {kinds[d] for d in stage.devices if d in kinds}
        if len(present) > 1:
            why = (
                f"stage {stage.name!r} changes hosts and switches together; a transition changes them in "
                f"separate stages: {order.why}"
            )
            problems.append(where.at(("stages", i, "select"), why))
        elif present == {second} and second_seen is None:
            second_seen = stage.name
        elif present == {first} and second_seen is not None:
            why = (
                f"stage {stage.name!r} changes {STEP_NAMES[first]} after stage {second_seen!r} changed "
                f"{STEP_NAMES[second]}: {order.why}. Put the {STEP_NAMES[first]} stages first"
            )
            problems.append(where.at(("stages", i, "select"), why))
    return problems


def link_profile(link: Link, profiles: Mapping[str, str]) -> str | None:
    """The profile a cable runs: its own `roce_profile` (a declared boundary), else its ends' (equal, or
    the inventory loader refused the links)."""
    return link.profile or profiles.get(link.a.device)


def on_profile(profiles: Mapping[str, str], topology: Topology, profile: str) -> set[str]:
    """Devices the inventory puts (wholly, or on some ports through their links) on `profile`."""
    devices = {d for d, p in profiles.items() if p == profile}
    for link in topology.links:
        if link.profile == profile:
            devices.update(e.device for e in link.ends())
    return devices


def _already_on(link: Link, device: str, profiles: Mapping[str, str], profile: str) -> bool:
    """A switch-switch cable declared on `profile` whose untargeted end runs `profile` on every port
    anyway (a lossy pod's uplink seen from a spine that is in the transition for another pod): that end
    is not part of this change; the pre-flight still compares the real ports that change."""
    return link.role != "host" and profiles.get(device) == profile


def intent_problems(
    path: Path, tr: Transition, policies: PolicySet, profiles: Mapping[str, str], targeted: set[str], topology: Topology
) -> list[InputProblem]:
    """The inventory must already say the target profile for every targeted device (the device's own
    profile, or a link's for a switch whose ports facing it change), and every device cabled to one of
    them on that profile by a host link or a link declaring it must be in the transition too (both ends
    of a link move together). Other switch-switch cables (a spine's links to leaves that stay) are judged
    by the pre-flight from the ports that actually change (agent.rollout.mode_order.peer_reasons)."""
    where = _Locator(path)
    unknown = policies.unknown(tr.to)
    if unknown is not None:
        return [where.at(("transition", "to"), unknown)]
    problems: list[InputProblem] = []
    on_to = on_profile(profiles, topology, tr.to)
    for device in sorted(targeted - on_to):
        why = (
            f"{device} runs profile {profiles.get(device)!r} in the inventory, on every port: a transition only "
            f"orders the push of a change the inventory already says; set `roce_profile: {tr.to}` for it or its "
            "links (a reviewed inventory commit) or leave it out of the targets"
        )
        problems.append(where.at(("transition", "to"), why))
    missing: dict[str, str] = {}
    for link in topology.links:  # a host's cable, or one declared on the profile: both ends move together
        if link_profile(link, profiles) != tr.to or (link.role != "host" and link.profile != tr.to):
            continue
        ends = [e.device for e in link.ends()]
        if any(d in targeted for d in ends):
            for device in (d for d in ends if d not in targeted and not _already_on(link, d, profiles, tr.to)):
                missing.setdefault(device, f"{link.a} - {link.b}")
    for device, link_text in sorted(missing.items()):
        why = (
            f"{device} is cabled to a device of this transition on {tr.to} ({link_text}) but is not targeted: "
            "both ends of a link change in the same transition; add it to the targets"
        )
        problems.append(where.at(("targets",) if "targets" in where.doc else ("transition", "to"), why))
    return problems
