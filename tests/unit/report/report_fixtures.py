"""Audit results for the report tests, built the way the CLI builds them: inventory -> intents,
snapshot -> states, engine -> AuditResult."""

from __future__ import annotations

from pathlib import Path

from agent import snapshot
from agent.checks.engine import AuditResult, audit
from agent.intent import build_intents
from agent.inventory.loader import inventory_devices, load_nornir, load_topology
from agent.policy.loader import load_policy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "report"
INVENTORY = FIXTURES / "inventory"


def audit_of(snapshot_name: str) -> AuditResult:
    devices = inventory_devices(load_nornir(INVENTORY))
    topology = load_topology(INVENTORY, {d.name: d.kind.value for d in devices})
    intents = build_intents(devices, load_policy(INVENTORY / "policy.yaml"), topology)
    snap = snapshot.load(FIXTURES / snapshot_name)
    return audit(intents, snap.states, topology, previous=snap.previous, errors=snap.errors)
