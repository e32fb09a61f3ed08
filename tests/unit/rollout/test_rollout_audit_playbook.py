"""Audit playbooks become `roce-agent audit` arguments: targets as --limit, checks, policy, outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import InputError
from agent.rollout.audit_playbook import audit_args
from agent.rollout.loader import load_playbook
from agent.rollout.playbook import AuditPlaybook

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rollout"
ROOT = Path(__file__).resolve().parents[3]


def test_targets_checks_and_policy_translate_to_audit_options() -> None:
    pb = load_playbook(FIXTURES / "playbooks" / "audit-lab.yaml")
    assert isinstance(pb, AuditPlaybook)
    pb = pb.model_copy(update={"targets": pb.targets.model_copy(update={"filter": "rack=r2 | role=spine"})})
    inv = FIXTURES / "inventory"

    args = audit_args(pb, FIXTURES / "playbooks" / "audit-lab.yaml", inv)

    assert args[:5] == ["audit", "-i", str(inv), "-p", str(inv / "policy.yaml")]
    limit = args[args.index("--limit") + 1].split(",")
    assert limit == ["host5", "host6", "host7", "host8", "spine1", "spine2"]
    assert args[args.index("--exclude") + 1] == "SW-CFG-001"
    assert "--checks" not in args  # no `checks:` = the whole catalogue


def test_prefix_terms_use_the_engine_vocabulary() -> None:
    pb = load_playbook(ROOT / "playbooks" / "audit.yaml")
    assert isinstance(pb, AuditPlaybook)
    pb = pb.model_copy(update={"checks": ["SW-PFC-*", "ecn"]})
    args = audit_args(pb, ROOT / "playbooks" / "audit.yaml", FIXTURES / "inventory")
    assert [args[i + 1] for i, a in enumerate(args) if a == "--checks"] == ["SW-PFC", "ecn"]


def test_targets_selecting_nothing_is_an_input_error() -> None:
    pb = load_playbook(FIXTURES / "playbooks" / "audit-lab.yaml")
    assert isinstance(pb, AuditPlaybook)
    pb = pb.model_copy(update={"targets": pb.targets.model_copy(update={"filter": "role=router"})})
    with pytest.raises(InputError, match="selects no device"):
        audit_args(pb, FIXTURES / "playbooks" / "audit-lab.yaml", FIXTURES / "inventory")
