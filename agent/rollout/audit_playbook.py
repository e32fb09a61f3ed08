"""`kind: audit` playbooks: the scheduled, reviewed form of `roce-agent audit`, run by the same use case.

An audit playbook names which devices (the same `targets:` language as rollouts), which checks, the
counter interval and the outputs. It becomes one `agent.app.audit.AuditRequest`; the fabric is read
once and every output is rendered from that one result. Output paths are relative to the working
directory, like `audit --output`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from agent.app.audit import AuditRequest, AuditRun, audit
from agent.app.inputs import DeviceFilter, InventoryRequest
from agent.checks.finding import Severity
from agent.errors import EXIT_FINDINGS, EXIT_OK
from agent.report.render import Format, write_report
from agent.rollout.playbook import AuditOutput, AuditPlaybook
from agent.rollout.session import gate_terms, resolve_inventory, resolve_policy

REPORT_FORMAT = {"table": Format.table, "json": Format.json, "junit": Format.junit, "prometheus": Format.prom,
                 "html": Format.html}  # fmt: skip


def audit_request(pb: AuditPlaybook, path: Path, inventory: Path | None, *, verify: bool = True) -> AuditRequest:
    """The audit this playbook stands for (nothing loaded yet: the use case validates the inputs)."""
    path = Path(path).resolve()
    inv = resolve_inventory(pb, path, inventory)
    inputs = InventoryRequest(inv, resolve_policy(pb, path, inv), DeviceFilter(targets=pb.targets, targets_file=path),
                              verify_host_keys=verify)  # fmt: skip
    return AuditRequest(
        inputs,
        include=tuple(gate_terms(pb.checks)),
        exclude=tuple(gate_terms(pb.skip_checks)),
        interval_s=float(pb.counter_interval) if pb.counters else 0.0,
    )


def run_audit_playbook(
    pb: AuditPlaybook, path: Path, inventory: Path | None, *, json_lines: bool = False, verify: bool = True
) -> int:
    """Exit code as `roce-agent audit`'s (0 compliant, 1 findings, 2 could not run); with `fail_on: warning`
    warnings count as findings too. Bad input raises InputError before any device is contacted."""
    run = audit(audit_request(pb, path, inventory, verify=verify))
    outputs = [o for o in pb.outputs if not (json_lines and o.path is None)]
    if json_lines:
        outputs.append(AuditOutput(format="json"))
    for out in outputs:
        write_report(run.result, run.meta, REPORT_FORMAT[out.format], Path(out.path) if out.path else None)
    if not run.snapshot.states:
        print("error: no device could be read; the audit could not run", file=sys.stderr)
    return _exit_code(run, pb)


def _exit_code(run: AuditRun, pb: AuditPlaybook) -> int:
    code = run.exit_code
    if code == EXIT_OK and pb.fail_on == "warning":
        return EXIT_FINDINGS if any(f.severity is Severity.warning for f in run.result.findings) else EXIT_OK
    return code
