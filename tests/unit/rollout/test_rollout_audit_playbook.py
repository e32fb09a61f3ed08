"""Audit playbooks become one AuditRequest: targets, checks, policy, counters; the loader applies the targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.app.inputs import load_inventory
from agent.errors import InputError
from agent.rollout.audit_playbook import audit_request
from agent.rollout.loader import load_playbook
from agent.rollout.playbook import AuditPlaybook

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rollout"
ROOT = Path(__file__).resolve().parents[3]


def test_targets_checks_and_policy_translate_to_audit_options() -> None:
    pb = load_playbook(FIXTURES / "playbooks" / "audit-lab.yaml")
    assert isinstance(pb, AuditPlaybook)
    pb = pb.model_copy(update={"targets": pb.targets.model_copy(update={"filter": "rack=r2 | role=spine"})})
    inv = FIXTURES / "inventory"

    request = audit_request(pb, FIXTURES / "playbooks" / "audit-lab.yaml", inv)

    assert (request.inputs.inventory, request.inputs.policy_path) == (inv, inv / "policy.yaml")
    loaded = load_inventory(request.inputs)
    assert sorted(loaded.intents) == ["host5", "host6", "host7", "host8", "spine1", "spine2"]
    assert request.exclude == ("SW-CFG-001",)
    assert request.include == ()  # no `checks:` = the whole catalogue


def test_prefix_terms_use_the_engine_vocabulary() -> None:
    pb = load_playbook(ROOT / "playbooks" / "audit.yaml")
    assert isinstance(pb, AuditPlaybook)
    pb = pb.model_copy(update={"checks": ["SW-PFC-*", "ecn"]})
    request = audit_request(pb, ROOT / "playbooks" / "audit.yaml", FIXTURES / "inventory")
    assert request.include == ("SW-PFC", "ecn")


def test_targets_selecting_nothing_is_an_input_error() -> None:
    pb = load_playbook(FIXTURES / "playbooks" / "audit-lab.yaml")
    assert isinstance(pb, AuditPlaybook)
    pb = pb.model_copy(update={"targets": pb.targets.model_copy(update={"filter": "role=router"})})
    request = audit_request(pb, FIXTURES / "playbooks" / "audit-lab.yaml", FIXTURES / "inventory")
    with pytest.raises(InputError, match="selects no device") as err:
        load_inventory(request.inputs)
    assert err.value.problems[0].field == "targets"
    assert err.value.problems[0].line is not None  # the playbook line of `targets:`
