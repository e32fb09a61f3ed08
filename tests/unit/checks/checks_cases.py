"""Runs one case of a check table (tests/fixtures/checks/*.yaml) against the golden fabric.

Case keys: check, name, device, patch (ops on `device`), policy_headroom (the device policy's `headroom:`),
load_balancing ({role or "all": the `load_balancing:` section of the policy of the devices with that role}),
policy_networks (the `networks:` section of every device's policy), policy_nccl (the `nccl:` section of
every device's policy; null removes it), host_networks ({device: {port: network}},
as host data interface_networks sets them on the device's port intents),
also ({device: ops}), unreachable ([devices]), error,
previous ({device: ops} applied to a copy of the golden states taken as the first read), links (file),
mode (`lossy`: the golden fabric of the lossy baseline instead of the test policy),
expect ([{device?, port, priority?, severity?, actual_contains?, expected_contains?, remediation_contains?}]).
"""

from __future__ import annotations

from typing import Any

from checks_builders import golden, patched

from agent.checks.engine import run_checks
from agent.checks.finding import Finding
from agent.checks.registry import CheckSelection
from agent.policy.headroom_policy import HeadroomSettings
from agent.policy.load_balancing import LoadBalancing
from agent.policy.nccl import Nccl
from agent.policy.networks import Networks


def run_case(case: dict[str, Any]) -> list[Finding]:
    intents, states, topo = golden(case.get("links", "links_lab.yaml"), lossy=case.get("mode") == "lossy")
    if "policy_headroom" in case:  # the device's effective policy declares headroom inputs (e.g. its platform)
        intent = intents[case["device"]]
        headroom = HeadroomSettings.model_validate(case["policy_headroom"])
        policy = intent.policy.model_copy(update={"headroom": headroom})
        intents[case["device"]] = intent.model_copy(update={"policy": policy})
    for role, section in (case.get("load_balancing") or {}).items():
        lb = LoadBalancing.model_validate(section)
        for name, intent in intents.items():
            if role in ("all", intent.role):
                intents[name] = intent.model_copy(
                    update={"policy": intent.policy.model_copy(update={"load_balancing": lb})}
                )
    if "policy_networks" in case:  # the policy declares networks (e.g. VRFs per network)
        networks = Networks.model_validate(case["policy_networks"])
        for name, intent in intents.items():
            policy = intent.policy.model_copy(update={"networks": networks})
            intents[name] = intent.model_copy(update={"policy": policy})
    if "policy_nccl" in case:
        nccl = Nccl.model_validate(case["policy_nccl"]) if case["policy_nccl"] is not None else None
        for name, intent in intents.items():
            intents[name] = intent.model_copy(update={"policy": intent.policy.model_copy(update={"nccl": nccl})})
    for dev, nets in (case.get("host_networks") or {}).items():
        ports = {n: pi.model_copy(update={"network": nets.get(n, pi.network)}) for n, pi in intents[dev].ports.items()}
        intents[dev] = intents[dev].model_copy(update={"ports": ports})
    previous = None
    if "previous" in case:
        previous = dict(states)
        for dev, ops in case["previous"].items():
            previous[dev] = patched(states[dev], ops)
    edits = dict(case.get("also") or {})
    if case.get("patch"):
        edits[case["device"]] = list(case["patch"]) + list(edits.get(case["device"], []))
    for dev, ops in edits.items():
        states[dev] = patched(states[dev], ops)
    errors = {}
    for dev in case.get("unreachable", []):
        del states[dev]
        errors[dev] = case.get("error", "TCP connection to 127.0.0.1:2201 refused")
    selection = CheckSelection.parse([case["check"]])
    return run_checks(intents, states, topo, selection, previous=previous, errors=errors)


def assert_case(case: dict[str, Any]) -> None:
    findings = run_case(case)
    findings = [f for f in findings if f.check_id == case["check"]]  # audit-scope checks always run
    got = sorted(((f.device, f.port, f.priority) for f in findings), key=str)
    want = sorted(
        ((e.get("device", case.get("device")), e.get("port"), e.get("priority")) for e in case["expect"]), key=str
    )
    assert got == want, f"findings: {findings}"
    by_place = {(f.device, f.port, f.priority): f for f in findings}
    for e in case["expect"]:
        f = by_place[(e.get("device", case.get("device")), e.get("port"), e.get("priority"))]
        if "severity" in e:
            assert f.severity.value == e["severity"], f
        for field in ("actual", "expected", "remediation"):
            needle = e.get(f"{field}_contains")
            if needle is not None:
                assert needle in (getattr(f, field) or ""), f
        assert f.remediation, f"{f.check_id} finding without a remediation hint"
