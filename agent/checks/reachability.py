"""Audit-level findings: what could not be read is itself a finding, never a silent pass."""

from __future__ import annotations

from collections.abc import Iterator

from agent.checks.context import AuditCtx, finding
from agent.checks.finding import Finding, Severity
from agent.checks.registry import check
from agent.redact import scrub


@check(
    "AUDIT-001",
    "Device unreachable",
    scope="audit",
    tags=("config",),
    explanation="""The device in the inventory could not be read (SSH refused or timed out, host key
    mismatch, authentication failure, unparseable output). None of its checks ran, so the audit cannot
    call it compliant.""",
)
def unreachable(ctx: AuditCtx) -> Iterator[Finding]:
    for name in ctx.intents:
        if name in ctx.states:
            continue
        yield finding(
            "AUDIT-001",
            name,
            expected="device read",
            actual=scrub(ctx.errors.get(name, "no state gathered")),
            remediation="check reachability and credentials: `ssh` to the host with the inventory's user, "
            "and the host key in the inventory's known_hosts",
        )


@check(
    "AUDIT-002",
    "Partial read",
    scope="audit",
    tags=("config",),
    severity=Severity.warning,
    explanation="""The device answered but some of its state could not be read (a command failed, a
    table was missing, a counter group disabled). Checks that need that state may have been skipped.""",
)
def partial_read(ctx: AuditCtx) -> Iterator[Finding]:
    for name, state in ctx.states.items():
        for problem in state.raw_errors:
            yield finding(
                "AUDIT-002",
                name,
                actual=scrub(problem),
                remediation="re-run with -v and read the command's output on the device",
            )


@check(
    "AUDIT-003",
    "Port in the topology not found on the device",
    scope="audit",
    tags=("config",),
    explanation="""links.yaml names a port the device does not report, so its link and port checks could
    not run: a wrong port name in the inventory, or a port missing from the device's configuration.""",
)
def missing_ports(ctx: AuditCtx) -> Iterator[Finding]:
    for name, intent in ctx.intents.items():
        state = ctx.states.get(name)
        if state is None:
            continue
        for port in intent.ports:
            if port in state.ports:
                continue
            yield finding(
                "AUDIT-003",
                name,
                port=port,
                expected="port present",
                actual="absent",
                remediation=f"fix links.yaml (peer {intent.ports[port].peer}) or add the port on {name}",
            )
