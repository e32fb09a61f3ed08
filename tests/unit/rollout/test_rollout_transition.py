"""Lossless <-> lossy transitions against in-memory devices: the order the runner derives and enforces,
the refusals at validate time (located, nothing contacted), and the counters gate over the change."""

from __future__ import annotations

import copy
import json

import pytest
from rollout_fakes import DEVICES, FIXTURES, FakeLab
from typer.testing import CliRunner

from agent.app import rollout as rollout_app
from agent.cli import app
from agent.errors import InputError
from agent.policy.model import RoceMode
from agent.rollout import orchestrate
from agent.rollout.mode_order import Move, mode_move, peer_reasons
from agent.rollout.runner import Hooks
from agent.rollout.session import make_fabric, open_rollout
from agent.state import DeviceKind, DeviceState, PortState

HOSTS = [d for d in DEVICES if d.startswith("host")]
SWITCHES = [d for d in DEVICES if not d.startswith("host")]
LOSSLESS = {"switch": {"mtu": 9100, "pfc": [3]}, "host": {"mtu": 9000, "pfc": [3]}}
POLICY = (FIXTURES / "inventory" / "policy.yaml").read_text()


def profiled(default: str) -> str:
    """The fixture policy as profile `training`, beside a lossy `inference` with the same MTUs."""
    body = "\n".join(f"    {line}" if line.strip() else "" for line in POLICY.splitlines() if not line.startswith("#"))
    lossy = "  inference:\n    baseline: nvidia-roce-lossy\n    buffer_model: traditional\n"
    lossy += "    mtu: {switch: 9100, host: 9000}\n"
    return f"name: lab\ndefault_profile: {default}\nprofiles:\n  training:\n{body}\n{lossy}"


def on_profile(lab: FakeLab, default: str, state: str = "lossless") -> None:
    """The inventory names `default` for every device; the devices run `state` (lossless or lossy)."""
    (lab.inventory / "policy.yaml").write_text(profiled(default))
    for name, box in lab.boxes.items():
        box.config = copy.deepcopy(LOSSLESS["host" if name.startswith("host") else "switch"])
        if state == "lossy":
            box.config["pfc"] = []


def applied_order(lab: FakeLab) -> list[str]:
    return [r["device"] for r in lab.events("applied")]


def problems(lab: FakeLab, playbook: str) -> list[str]:
    with pytest.raises(InputError) as exc:
        lab.session(playbook)
    assert all(b.gathers == 0 for b in lab.boxes.values())  # refused before any device was contacted
    return [str(p) for p in exc.value.problems]


def test_to_lossy_changes_every_host_before_any_switch(lab: FakeLab) -> None:
    on_profile(lab, "inference")
    result = lab.run("to-lossy.yaml")

    assert result.result == "converged", result.reasons
    assert all(box.config["pfc"] == [] for box in lab.boxes.values())
    order = applied_order(lab)
    assert sorted(order) == sorted(DEVICES)
    assert max(order.index(h) for h in HOSTS) < min(order.index(s) for s in SWITCHES)
    stages = [(r["stage"], r["devices"]) for r in lab.events("batch_started")]
    assert stages == [("hosts", HOSTS[:4]), ("hosts", HOSTS[4:]), ("switches", sorted(SWITCHES))]
    started = lab.events("rollout_started")[0]
    assert started["transition"] == {"to": "inference", "mode": "lossy", "order": ["hosts", "switches"]}


def test_to_lossless_changes_every_switch_before_any_host(lab: FakeLab) -> None:
    on_profile(lab, "training", state="lossy")
    result = lab.run("to-lossless.yaml")

    assert result.result == "converged", result.reasons
    assert all(box.config["pfc"] == [3] for box in lab.boxes.values())
    order = applied_order(lab)
    assert max(order.index(s) for s in SWITCHES) < min(order.index(h) for h in HOSTS)
    assert [r["stage"] for r in lab.events("batch_started")] == ["switches", "hosts"]
    gates = {(r["stage"], r["gate_name"]): r for r in lab.events("gate")}
    assert gates[("switches", "post-check")]["checks"] == ["SW-*"]  # the step's own devices, not their links
    assert gates[("hosts", "post-check")]["checks"] == ["HOST-*"]


def test_a_second_transition_run_changes_nothing(lab: FakeLab) -> None:
    on_profile(lab, "inference")
    lab.run("to-lossy.yaml")
    applies = {d: b.applies for d, b in lab.boxes.items()}

    result = lab.run("to-lossy.yaml")

    assert result.result == "converged"
    assert {d: b.applies for d, b in lab.boxes.items()} == applies


def test_the_plan_shows_the_expanded_order_and_why(lab: FakeLab) -> None:
    on_profile(lab, "inference")
    session = lab.session("to-lossy.yaml")
    preview = orchestrate.preview(session, lab.fabric(session))

    assert [s.name for s in preview] == ["hosts", "switches"]
    assert session.transition is not None
    text = session.transition.describe()
    assert text.startswith("transition to inference (lossy): hosts, then switches; to lossy the hosts stop PFC")
    assert all(b.config["pfc"] == [3] for b in lab.boxes.values())  # a preview writes nothing


def test_hand_written_stages_in_the_safe_order_run_as_written(lab: FakeLab) -> None:
    on_profile(lab, "inference")
    result = lab.run("transition-by-hand.yaml")

    assert result.result == "converged", result.reasons
    stages = [r["stage"] for r in lab.events("batch_started")]
    assert stages == ["rack1-hosts"] * 4 + ["canary-leaf", "switches"]


def test_switches_first_to_lossy_is_refused_with_the_safe_order_and_why(lab: FakeLab) -> None:
    on_profile(lab, "inference")
    path = FIXTURES / "playbooks" / "transition-wrong-order.yaml"
    got = problems(lab, "transition-wrong-order.yaml")

    assert len(got) == 1
    assert got[0].startswith(f"{path}:8: stages.1.select: stage 'hosts' changes hosts after stage 'leaves' changed")
    assert "to lossy the hosts stop PFC first, then the switches" in got[0]
    assert "Put the hosts stages first" in got[0]


def test_hosts_first_to_lossless_is_refused(lab: FakeLab) -> None:
    on_profile(lab, "training", state="lossy")
    text = (FIXTURES / "playbooks" / "transition-by-hand.yaml").read_text().replace("to: inference", "to: training")
    path = lab.inventory.parent / "back.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        open_rollout(path, lab.inventory)
    got = [str(p) for p in exc.value.problems]
    assert len(got) == 2  # both switch stages come after the hosts
    assert "stage 'canary-leaf' changes switches after stage 'rack1-hosts' changed hosts" in got[0]
    assert "to lossless the switches get PFC and headroom first, then the hosts" in got[0]


def test_a_stage_mixing_hosts_and_switches_is_refused(lab: FakeLab) -> None:
    on_profile(lab, "inference")
    got = problems(lab, "transition-mixed.yaml")

    assert len(got) == 1
    assert ":7: stages.0.select: stage 'everything' changes hosts and switches together" in got[0]


def test_refused_unless_the_inventory_already_names_the_target_profile(lab: FakeLab) -> None:
    on_profile(lab, "training")  # the change of intent was not committed to the inventory
    path = FIXTURES / "playbooks" / "to-lossy.yaml"
    got = problems(lab, "to-lossy.yaml")

    assert len(got) == len(DEVICES)
    assert got[0].startswith(f"{path}:8: transition.to: host1 runs profile 'training' in the inventory, on every port")
    assert "set `roce_profile: inference` for it or its links (a reviewed inventory commit)" in got[0]


def test_a_profile_the_policy_lacks_is_refused_at_its_line(lab: FakeLab) -> None:
    on_profile(lab, "inference")
    got = problems(lab, "transition-unknown.yaml")

    assert len(got) == 1
    assert ":5: transition.to: unknown profile 'inferenc'" in got[0]
    assert "Profiles in the policy: training, inference" in got[0]


def test_a_pod_whose_uplinks_declare_the_profile_must_take_the_spines_along(lab: FakeLab) -> None:
    pod2_on(lab, "inference")
    got = problems(lab, "transition-pod.yaml")

    assert [p.split(": ", 2)[2].split(" ")[0] for p in got] == ["spine1", "spine2"]
    assert "is cabled to a device of this transition on inference (leaf2:Ethernet8 - spine1:Ethernet4)" in got[0]
    assert "add it to the targets" in got[0]


def test_a_leaf_without_its_hosts_is_refused(lab: FakeLab) -> None:
    on_profile(lab, "inference")
    path = lab.inventory.parent / "leaf-only.yaml"
    path.write_text(
        (FIXTURES / "playbooks" / "transition-pod.yaml").read_text().replace("[leaf2, host3, host4]", "[leaf2]")
    )
    with pytest.raises(InputError) as exc:
        open_rollout(path, lab.inventory)

    got = [str(p) for p in exc.value.problems]
    assert [p.split(": ", 2)[2].split(" ")[0] for p in got] == ["host3", "host4"]  # host cables move together
    assert got[0].startswith(f"{path}:4: targets: host3 is cabled to a device of this transition on inference")


def test_drops_on_the_roce_priority_during_the_change_halt_it_and_undo_it(lab: FakeLab) -> None:
    """Lossy hosts have no lossless priority, yet the transition's counters gate watches priority 3 from
    before the apply: drops while host1 changed (the link-flap wait, no soak asked) stop the rollout."""
    on_profile(lab, "inference")

    def traffic(_seconds: float) -> None:
        lab.boxes["host1"].drops += 5

    result = lab.run("to-lossy.yaml", Hooks(sleep=traffic))

    assert result.result == "halted"
    assert any("host1: 5 new RoCE-priority drops (p0/3 +5); allowed 0" in r for r in result.reasons)
    window = [r for r in lab.events("gate") if r["gate_name"] == "change-window"]
    assert window[0]["passed"] is False
    assert window[0]["deltas"]["host1"] == {"drops:p0/3": 5}
    assert all(lab.boxes[h].config["pfc"] == [3] for h in HOSTS)  # the hosts stage rolled back
    assert all(lab.boxes[s].applies == 0 for s in SWITCHES)  # the switches were never touched


def test_check_prints_the_order_before_the_stages_and_json_carries_it(
    lab: FakeLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rollout_app, "make_fabric", lambda s: lab.fabric(s))
    on_profile(lab, "training", state="lossy")
    argv = ["rollout", str(FIXTURES / "playbooks" / "to-lossless.yaml"), "-i", str(lab.inventory), "--check"]

    res = CliRunner().invoke(app, argv)

    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("transition to training (lossless): switches, then hosts; to lossless the switches")
    assert lines[1] == "stage switches (1 batch(es))"
    assert "  [1] leaf1: 1 change(s) -> lossless" in lines  # the dry run says what changes mode
    assert "stage hosts (1 batch(es))" in res.output
    doc = json.loads(CliRunner().invoke(app, [*argv, "--json"]).output.splitlines()[-1])
    assert doc["transition"]["order"] == ["switches", "hosts"]
    assert doc["stages"][1]["batches"][0][0]["moves"] == {"mode": "lossless", "ports": {}}  # fake ports are p0
    assert "headroom first" in doc["transition"]["why"]
    assert all(b.config["pfc"] == [] for b in lab.boxes.values())


def test_a_plain_rollout_moving_switches_to_lossy_first_stops_in_the_pre_flight(lab: FakeLab) -> None:
    """Without `transition:` the playbook cannot be judged before the devices are read; the pre-flight
    reads them all, sees every device would go lossless -> lossy and the switches first, and stops."""
    on_profile(lab, "inference")
    result = lab.run("staged.yaml")

    assert result.result == "halted"
    assert len(result.reasons) == 1
    why = result.reasons[0]
    assert why.startswith("this rollout moves hosts and switches to lossy, and changes leaf1 (stage canary) before")
    assert "to lossy the hosts stop PFC first" in why
    assert "`transition: {to: PROFILE}`" in why
    assert all(b.applies == 0 for b in lab.boxes.values())  # nothing written
    assert lab.events("mode_order_refused")[0]["moves"]["host1"] == "lossy"


def test_a_plain_rollout_in_the_safe_order_is_left_alone(lab: FakeLab) -> None:
    on_profile(lab, "inference")
    assert lab.run("hosts-first.yaml").result == "converged"
    on_profile(lab, "training", state="lossy")
    result = lab.run("hosts-first.yaml")  # now hosts first is the unsafe way round: to lossless

    assert result.result == "halted"
    assert "changes host1 (stage hosts) before or with leaf1 (stage switches)" in result.reasons[0]
    assert "to lossless the switches get PFC and headroom first" in result.reasons[0]
    assert result.reasons[0].endswith("or order the stages so that the switches change first")


def pod2_on(lab: FakeLab, profile: str) -> None:
    """The inventory commit of a pod move: leaf2, host3, host4 and leaf2's uplinks on `profile` (the
    spines stay training on their other ports); the devices still run lossless."""
    on_profile(lab, "training")
    hosts = lab.inventory / "hosts.yaml"
    text = hosts.read_text()
    for name in ("leaf2", "host3", "host4"):
        head, _, tail = text.partition(f"\n{name}:\n")
        data_at = tail.index("  data:\n") + len("  data:\n")
        text = f"{head}\n{name}:\n{tail[:data_at]}    roce_profile: {profile}\n{tail[data_at:]}"
    hosts.write_text(text)
    links = lab.inventory / "links.yaml"
    uplinks = ('"leaf2:Ethernet8", b: "spine1:Ethernet4"', '"leaf2:Ethernet12", b: "spine2:Ethernet4"')
    text = links.read_text()
    for uplink in uplinks:
        text = text.replace(f"{uplink}, role: fabric}}", f"{uplink}, role: fabric, roce_profile: {profile}}}")
    links.write_text(text)


def test_a_pod_moves_hosts_first_with_the_spine_ports_facing_it(lab: FakeLab) -> None:
    pod2_on(lab, "inference")
    session = lab.session("pod2-to-lossy.yaml")
    assert [(s.name, s.devices) for s in session.stages] == [
        ("hosts", ["host3", "host4"]),
        ("switches", ["leaf2", "spine1", "spine2"]),
    ]
    spine1 = session.intents["spine1"].ports
    assert spine1["Ethernet4"].lossless_priorities == ()  # the port facing leaf2 goes lossy ...
    assert spine1["Ethernet0"].lossless_priorities == (3,)  # ... the one facing leaf1 stays lossless

    result = lab.run("pod2-to-lossy.yaml")

    assert result.result == "converged", result.reasons
    assert applied_order(lab)[:3] == ["host3", "host4", "leaf2"]
    assert [lab.boxes[d].config["pfc"] for d in ("host3", "host4", "leaf2", "leaf1", "host1")] == [[], [], [], [3], [3]]


def test_a_device_the_inventory_does_not_move_cannot_be_targeted(lab: FakeLab) -> None:
    pod2_on(lab, "inference")
    path = lab.inventory.parent / "with-leaf1.yaml"
    path.write_text((FIXTURES / "playbooks" / "pod2-to-lossy.yaml").read_text().replace("[leaf2,", "[leaf1, leaf2,"))
    with pytest.raises(InputError) as exc:
        open_rollout(path, lab.inventory)
    got = [str(p) for p in exc.value.problems]
    assert got[0].startswith(f"{path}:7: transition.to: leaf1 runs profile 'training' in the inventory, on every port")
    assert len(got) == 1  # host1 is cabled to leaf1 on training: nothing else is asked for


def state(device: str, kind: DeviceKind, pfc: dict[str, list[int]]) -> DeviceState:
    ports = {name: PortState(name=name, lossless_priorities=prios) for name, prios in pfc.items()}
    return DeviceState(name=device, kind=kind, platform="sonic", ports=ports)


def test_the_pre_flight_reads_a_move_per_port_from_the_spine_facing_the_pod(lab: FakeLab) -> None:
    """spine1 keeps its mode as a device (lossless towards leaf1 etc.); its port facing leaf2 moves."""
    pod2_on(lab, "inference")
    intents = lab.session("pod2-to-lossy.yaml").intents
    lossless = {p: [3] for p in intents["spine1"].ports}

    move = mode_move(intents["spine1"], state("spine1", DeviceKind.switch, lossless))

    assert move.mode is None
    assert move.ports == {"Ethernet4": (RoceMode.lossy, "leaf2:Ethernet8")}
    leaf = mode_move(intents["leaf2"], state("leaf2", DeviceKind.switch, {p: [3] for p in intents["leaf2"].ports}))
    assert leaf.mode is RoceMode.lossy
    assert mode_move(intents["leaf2"], state("leaf2", DeviceKind.switch, {})) == Move()  # already lossy


def test_a_port_moving_while_its_far_end_is_left_out_is_a_reason_to_stop() -> None:
    moves = {"spine1": Move(None, {"Ethernet4": (RoceMode.lossless, "leaf2:Ethernet8")})}

    assert peer_reasons(moves, {"spine1", "leaf2"}) == []
    (why,) = peer_reasons(moves, {"spine1"})
    assert why.startswith("spine1:Ethernet4 would go lossless but leaf2:Ethernet8 at the other end of its cable")
    assert why.endswith("the link would run PFC on one end only; add leaf2 to the targets")


class Killed(BaseException):
    """The agent dying between two steps of a transition."""


def test_a_transition_killed_between_its_steps_resumes_with_the_switches(lab: FakeLab) -> None:
    on_profile(lab, "inference")

    def die_after_hosts(stage: str, batch: int) -> None:
        if (stage, batch) == ("hosts", 1):
            raise Killed(stage)

    with pytest.raises(Killed):
        lab.run("to-lossy.yaml", Hooks(after_batch=die_after_hosts, sleep=lambda _s: None))
    assert all(lab.boxes[h].config["pfc"] == [] for h in HOSTS)  # the safe mixed state: hosts lossy ...
    assert all(lab.boxes[s].config["pfc"] == [3] for s in SWITCHES)  # ... switches still lossless

    result = lab.run("to-lossy.yaml", mode="resume")

    assert result.result == "converged", result.reasons
    assert all(b.config["pfc"] == [] for b in lab.boxes.values())
    assert all(lab.boxes[h].applies == 1 for h in HOSTS)  # the finished step is not run again
    resumed = [r["stage"] for r in lab.events("batch_started")]
    assert resumed == ["hosts", "hosts", "switches"]


def test_a_step_check_matching_nothing_is_located_in_the_transition(lab: FakeLab) -> None:
    on_profile(lab, "inference")
    path = lab.inventory.parent / "bad-check.yaml"
    text = (FIXTURES / "playbooks" / "to-lossy.yaml").read_text()
    path.write_text(text.replace("post_checks: [FAKE-*]}", "post_checks: [NOPE-*]}", 1).replace("FAKE-*", "SW-*"))
    session = open_rollout(path, lab.inventory)
    with pytest.raises(InputError) as exc:
        make_fabric(session)  # the real checks engine: its catalogue has no NOPE

    (problem,) = exc.value.problems
    assert str(problem).startswith(f"{path}:9: transition.hosts.post_checks[0]: 'NOPE-*' matches no check")
