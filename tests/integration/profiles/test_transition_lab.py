"""Lossless -> lossy -> lossless as transitions over real SSH: the runner's order, observed in the trail
and on the devices, with an audit of each step's devices clean right after the step.

The change of intent is the inventory's (the policy's `default_profile`, as a reviewed commit would
change it); the transition playbook only orders the push: to lossy the hosts, then the switches; to
lossless the switches, then the hosts. Between the steps the fabric is in the mixed state the order
allows (switch ports lossless, hosts lossy), so the audit after a step covers that step's devices and
their own checks; after the last step the whole fabric audits clean.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from agent.cli import app
from agent.rollout import orchestrate
from agent.rollout.loader import load_playbook
from agent.rollout.playbook import RolloutPlaybook
from agent.rollout.progress import JsonProgress
from agent.rollout.runner import Hooks
from agent.rollout.session import make_fabric, open_rollout
from tests.integration.profiles import test_lossy_lab
from tests.integration.rocelab.conftest import ROOT, running_lab

pytestmark = pytest.mark.integration
cli = CliRunner()
PLAYBOOKS = ROOT / "tests" / "fixtures" / "rollout" / "playbooks"
SHIPPED = ROOT / "playbooks"
POD2 = ["host3", "host4", "leaf2"]  # the lab's second leaf and its hosts; the spines follow on their leaf2 ports
STEP_CHECKS = {"hosts": "HOST", "switches": "SW"}


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("transition-lab")
    policy = root / "policy.yaml"
    policy.write_text(profiled("training"))
    with running_lab(root, policy) as inv:
        (inv / "policy.yaml").write_text(profiled("training"))
        yield inv


def profiled(default: str) -> str:
    """The lossy-lab test's policy (profiles training, inference, and nvidia-roce-lossy, the lab's lossy
    profile the shipped playbooks name), `default` for every device that names none."""
    text = test_lossy_lab.profiled(default)
    if "\n  nvidia-roce-lossy:" not in text:  # a lab without its inference pod has no such profile yet
        text += "  nvidia-roce-lossy:\n    baseline: nvidia-roce-lossy\n    buffer_model: traditional\n"
    return text


def shipped_target(name: str) -> str:
    pb = load_playbook(SHIPPED / name)
    assert isinstance(pb, RolloutPlaybook)
    assert pb.transition is not None
    return pb.transition.to


def audit(inventory: Path, *args: str) -> dict[str, Any]:
    res = cli.invoke(app, ["audit", "-i", str(inventory), "-q", "-f", "json", "--no-history", *args])
    doc: dict[str, Any] = json.loads(res.stdout)
    assert res.exit_code == 0, [f["key"] for f in doc["findings"]]
    return doc


def transition(inventory: Path, playbook: Path, soak: bool = True) -> tuple[list[dict[str, Any]], list[str]]:
    """Run a transition playbook; after each batch, audit that batch's devices with its step's checks.
    Returns the trail of the run and the stages in the order their audits ran. `soak=False` lets the
    shipped playbooks' minutes-long soaks pass at once (the counters are still read around each change)."""
    session = open_rollout(playbook, inventory)
    batches = {s.name: s.batches for s in session.stages}
    audited: list[str] = []

    def audit_step(stage: str, idx: int) -> None:
        audit(inventory, "--limit", ",".join(batches[stage][idx]), "--checks", STEP_CHECKS[stage])
        audited.append(stage)

    hooks = Hooks(after_batch=audit_step) if soak else Hooks(after_batch=audit_step, sleep=lambda _s: None)
    result = orchestrate.run(session, make_fabric(session), JsonProgress(io.StringIO()), hooks)
    assert result.result == "converged", result.reasons
    trail = [json.loads(line) for line in (inventory / ".state" / "trail.jsonl").read_text().splitlines()]
    return [r for r in trail if r["txid"] == result.txid], audited


def applied(trail: list[dict[str, Any]]) -> list[str]:
    return [r["device"] for r in trail if r["event"] == "applied" and r["status"] != "unchanged"]


def kinds(devices: list[str]) -> list[str]:
    return ["host" if d.startswith("host") else "switch" for d in devices]


def switch_db(device: str, key: str) -> str:
    return cli.invoke(app, ["lab", "exec", device, f"sonic-db-cli CONFIG_DB hgetall '{key}'"]).stdout


def refused_by_the_pre_flight(inventory: Path) -> None:
    """The shipped-style plain rollout (canary leaf, leaves, spines, hosts) would take the switches lossy
    first: read from the real devices, the pre-flight sees every device moving and stops, nothing written."""
    res = cli.invoke(app, ["rollout", str(PLAYBOOKS / "lab.yaml"), "-i", str(inventory), "--yes", "--json"])
    assert res.exit_code == 1, res.output
    records = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    refused = next(r for r in records if r.get("event") == "mode_order_refused")
    assert set(refused["moves"].values()) == {"lossy"}
    assert sorted(refused["moves"]) == session_devices(inventory, "lab-to-lossy.yaml")  # all but a lossy pod
    assert "to lossy the hosts stop PFC first" in refused["reasons"][0]
    assert not any(r.get("event") == "applied" for r in records)
    assert "pfc_enable" in switch_db("leaf2", "PORT_QOS_MAP|Ethernet0")


def test_the_lab_goes_lossy_hosts_first_and_back_switches_first(inventory: Path) -> None:
    assert cli.invoke(app, ["apply", "-i", str(inventory), "--yes"]).exit_code == 0
    audit(inventory)

    (inventory / "policy.yaml").write_text(profiled("inference"))  # the reviewed change of intent
    refused_by_the_pre_flight(inventory)
    trail, audited = transition(inventory, PLAYBOOKS / "lab-to-lossy.yaml")
    order = applied(trail)
    assert kinds(order) == sorted(kinds(order)), order  # every host ("host" < "switch") before any switch
    assert sorted(order) == session_devices(inventory, "lab-to-lossy.yaml"), order
    assert audited[-1] == "switches"
    assert set(audited) == {"hosts", "switches"}
    assert next(r for r in trail if r["event"] == "rollout_started")["transition"]["order"] == ["hosts", "switches"]
    windows = [r for r in trail if r["event"] == "gate" and r["gate_name"] == "change-window"]
    assert windows
    assert all(w["passed"] for w in windows)  # drops watched on priority 3 over each change
    audit(inventory)
    assert "pfc_enable" not in switch_db("leaf2", "PORT_QOS_MAP|Ethernet0")

    (inventory / "policy.yaml").write_text(profiled("training"))
    trail, audited = transition(inventory, PLAYBOOKS / "lab-to-lossless.yaml")
    order = applied(trail)
    assert kinds(order) == sorted(kinds(order), reverse=True), order  # every switch before any host
    assert sorted(order) == session_devices(inventory, "lab-to-lossless.yaml"), order
    assert audited[0] == "switches"
    assert set(audited) == {"hosts", "switches"}
    audit(inventory)
    assert "pfc_enable" in switch_db("leaf2", "PORT_QOS_MAP|Ethernet0")


def session_devices(inventory: Path, playbook: str) -> list[str]:
    """The devices a transition playbook targets (the inventory must already name its profile)."""
    return sorted(open_rollout(PLAYBOOKS / playbook, inventory).intents)


def move_pod2(inventory: Path, profile: str | None) -> None:
    """The reviewed inventory commit of a pod move: `roce_profile` on leaf2, host3, host4 and on leaf2's
    uplinks (so the spine ports facing leaf2 follow; their other ports stay on their own profile);
    None reverts that commit (the lines removed: the default profile again)."""
    hosts_file, links_file = inventory / "hosts.yaml", inventory / "links.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    for name in POD2:
        data = hosts[name].setdefault("data", {})
        data.pop("roce_profile", None)
        data.update({"roce_profile": profile} if profile else {})
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
    links = yaml.safe_load(links_file.read_text())
    for link in links["links"]:
        if {link["a"].split(":")[0], link["b"].split(":")[0]} & {"leaf2"} and link.get("role") == "fabric":
            link.pop("roce_profile", None)
            link.update({"roce_profile": profile} if profile else {})
    links_file.write_text(yaml.safe_dump(links, sort_keys=False))


def spines_left_out(inventory: Path) -> None:
    """Without the spines, leaf2's uplink ports would go lossless facing lossy spine ports: nothing in
    the inventory flags those cables any more, so the pre-flight reads it from the ports that move."""
    playbook = PLAYBOOKS / "lab-pod2-no-spines.yaml"
    res = cli.invoke(app, ["rollout", str(playbook), "-i", str(inventory), "--yes", "--json"])
    assert res.exit_code == 1, res.output
    records = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    reasons = next(r for r in records if r.get("event") == "mode_order_refused")["reasons"]
    assert reasons == [
        "leaf2:Ethernet12 would go lossless but spine2:Ethernet4 at the other end of its cable is not in this "
        "transition: the link would run PFC on one end only; add spine2 to the targets",
        "leaf2:Ethernet8 would go lossless but spine1:Ethernet4 at the other end of its cable is not in this "
        "transition: the link would run PFC on one end only; add spine1 to the targets",
    ]
    assert not any(r.get("event") == "applied" for r in records)


def test_leaf2_and_its_hosts_go_lossy_and_back_with_the_shipped_playbooks(inventory: Path) -> None:
    (inventory / "policy.yaml").write_text(profiled("training"))
    assert cli.invoke(app, ["apply", "-i", str(inventory), "--yes"]).exit_code == 0
    audit(inventory)

    move_pod2(inventory, shipped_target("to-lossy.yaml"))  # nvidia-roce-lossy, as the inference pod runs
    dry = cli.invoke(app, ["rollout", str(SHIPPED / "to-lossy.yaml"), "-i", str(inventory), "--check"])
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert lines[:2] == [lines[0], "stage hosts (2 batch(es))"]
    assert lines[0].startswith("transition to nvidia-roce-lossy (lossy): hosts, then switches; to lossy the hosts")
    moves = [line.split("-> ", 1)[1] for line in lines if "-> " in line]
    assert moves == ["lossy"] * 3 + ["lossy (Ethernet4)"] * 2  # host3, host4, leaf2; each spine's port to leaf2
    trail, audited = transition(inventory, SHIPPED / "to-lossy.yaml", soak=False)
    order = applied(trail)
    assert order[:2] == ["host3", "host4"], order  # the hosts stop PFC first ...
    assert set(order[2:]) == {"leaf2", "spine1", "spine2"}, order  # ... then leaf2 and the spine ports facing it
    assert audited == ["hosts", "hosts", "switches"]
    audit(inventory)  # the whole lab: pod 1 lossless, pod 2 lossy, the boundary on the spines
    assert "pfc_enable" not in switch_db("leaf2", "PORT_QOS_MAP|Ethernet0")
    assert "pfc_enable" not in switch_db("spine1", "PORT_QOS_MAP|Ethernet4")  # faces leaf2
    assert "pfc_enable" in switch_db("spine1", "PORT_QOS_MAP|Ethernet0")  # faces leaf1: untouched
    assert "pfc_enable" in switch_db("leaf1", "PORT_QOS_MAP|Ethernet0")

    move_pod2(inventory, None)  # the commit reverted: leaf2's uplinks are plain training cables again
    spines_left_out(inventory)
    trail, audited = transition(inventory, SHIPPED / "to-lossless.yaml", soak=False)
    order = applied(trail)
    assert set(order[:3]) == {"leaf2", "spine1", "spine2"}, order  # headroom and PFC first ...
    assert order[3:] == ["host3", "host4"], order  # ... then the hosts
    assert audited == ["switches", "hosts", "hosts"]
    audit(inventory)
    assert "pfc_enable" in switch_db("spine1", "PORT_QOS_MAP|Ethernet4")
