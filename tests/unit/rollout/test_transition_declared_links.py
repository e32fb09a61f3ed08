"""A transition of one pod next to a pod that already runs the target profile (the default lab: leaf2's
pod goes lossy, leaf3's inference pod has been lossy all along). The spines are in the transition for
their ports facing leaf2; their ports facing leaf3 are declared on the same profile, and leaf3 itself runs
it on every port, so leaf3 is not asked for. An untargeted end on another profile still is."""

from __future__ import annotations

from pathlib import Path

from agent.policy.model import Policy
from agent.policy.profiles import PolicySet
from agent.rollout.playbook import Transition
from agent.rollout.transition import intent_problems
from agent.topology.model import Endpoint, Link, Topology

LOSSY = "nvidia-roce-lossy"
POLICIES = PolicySet(
    name="lab",
    default_profile="training",
    profiles={
        "training": Policy.model_validate({"baseline": "nvidia-roce", "name": "training"}),
        LOSSY: Policy.model_validate({"baseline": "nvidia-roce-lossy", "name": LOSSY}),
    },
)


def _link(a: str, b: str, profile: str | None = None, role: str = "fabric") -> Link:
    return Link(Endpoint.parse(a), Endpoint.parse(b), role, profile=profile)  # type: ignore[arg-type]


def _problems(tmp_path: Path, leaf3: str) -> list[str]:
    playbook = tmp_path / "to-lossy.yaml"
    playbook.write_text("targets:\n  names: [leaf2, host3, spine1]\ntransition:\n  to: nvidia-roce-lossy\n")
    topology = Topology(
        links=[
            _link("leaf2:Ethernet0", "host3:eth1", role="host"),
            _link("leaf2:Ethernet8", "spine1:Ethernet4", LOSSY),
            _link("leaf3:Ethernet8", "spine1:Ethernet8", LOSSY),
        ],
        kinds={"leaf2": "switch", "leaf3": "switch", "spine1": "switch", "host3": "host"},
    )
    profiles = {"leaf2": LOSSY, "host3": LOSSY, "spine1": "training", "leaf3": leaf3}
    targeted = {"leaf2", "host3", "spine1"}
    found = intent_problems(playbook, Transition(to=LOSSY), POLICIES, profiles, targeted, topology)
    return [p.message for p in found]


def test_a_pod_already_on_the_target_profile_is_not_asked_for(tmp_path: Path) -> None:
    assert _problems(tmp_path, leaf3=LOSSY) == []


def test_an_untargeted_end_on_another_profile_is_still_asked_for(tmp_path: Path) -> None:
    [message] = _problems(tmp_path, leaf3="training")
    assert message.startswith("leaf3 is cabled to a device of this transition on nvidia-roce-lossy")
