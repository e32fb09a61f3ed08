"""`kind: audit` playbooks, run by the audit command itself.

An audit playbook is the scheduled, reviewed form of `roce-agent audit`: which devices (the same
`targets:` language as rollouts), which checks, counter interval, outputs. It is translated to the
audit command line and run in-process, so there is one audit implementation. Several outputs cost one
read of the fabric: the first run saves a snapshot, the others report from it (`--from-snapshot`).
Output paths are relative to the working directory, like `audit --output`.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from agent.errors import EXIT_FINDINGS, EXIT_OK, InputError, InputProblem
from agent.inventory.access import require_secrets
from agent.inventory.loader import load_nornir
from agent.rollout.playbook import AuditOutput, AuditPlaybook
from agent.rollout.session import gate_terms, resolve_inventory, resolve_policy, targeted
from agent.yamlfile import line_of, read_yaml

CLI_FORMAT = {"table": "table", "json": "json", "junit": "junit", "prometheus": "prom", "html": "html"}


def audit_args(pb: AuditPlaybook, path: Path, inventory: Path | None, *, verify: bool = True) -> list[str]:
    """The `roce-agent audit` arguments this playbook stands for (inputs validated; no device contacted)."""
    path = Path(path).resolve()
    inv = resolve_inventory(pb, path, inventory)
    nr = targeted(load_nornir(inv, verify_host_keys=verify), pb.targets, path)
    if not nr.inventory.hosts:
        raise InputError([InputProblem(path, line_of(read_yaml(path), ("targets",)), "targets", "selects no device")])
    require_secrets(nr, inv)
    args = ["audit", "-i", str(inv), "-p", str(resolve_policy(pb, path, inv))]
    args += ["--limit", ",".join(sorted(nr.inventory.hosts))]
    for term in gate_terms(pb.checks):
        args += ["--checks", term]
    for term in gate_terms(pb.skip_checks):
        args += ["--exclude", term]
    if not verify:
        args.append("--insecure-skip-host-key-check")
    return args


def _output_args(out: AuditOutput) -> list[str]:
    args = ["--format", CLI_FORMAT[out.format]]
    return [*args, "--output", out.path] if out.path else args


def run_audit_playbook(
    pb: AuditPlaybook, path: Path, inventory: Path | None, *, json_lines: bool = False, verify: bool = True
) -> int:
    """Exit code as `roce-agent audit`'s (0 compliant, 1 findings, 2 could not run); with `fail_on: warning`
    warnings count as findings too."""
    from agent.cli import app  # the audit command registers itself on the CLI app

    common = audit_args(pb, path, inventory, verify=verify)
    outputs = [o for o in pb.outputs if not (json_lines and o.path is None)]
    if json_lines:
        outputs.append(AuditOutput(format="json"))
    with tempfile.TemporaryDirectory(prefix="roce-audit-") as tmp:
        snap = str(Path(tmp) / "snapshot")
        interval = ["--interval", str(pb.counter_interval)] if pb.counters else []
        code = _invoke(app, [*common, *interval, *_output_args(outputs[0]), "--save-snapshot", snap])
        if code not in (EXIT_OK, EXIT_FINDINGS):
            return code
        for out in outputs[1:]:
            _invoke(app, [*common, *_output_args(out), "--from-snapshot", snap, "--no-history"])
        if code == EXIT_OK and pb.fail_on == "warning":
            report = Path(tmp) / "warnings.json"
            _invoke(app, [*common, "--format", "json", "-o", str(report), "--from-snapshot", snap, "--no-history"])
            findings = json.loads(report.read_text(encoding="utf-8")).get("findings", [])
            code = EXIT_FINDINGS if any(f.get("severity") == "warning" for f in findings) else EXIT_OK
    return code


def _invoke(app: object, args: list[str]) -> int:
    """Run a CLI command in-process and return its exit code (click's non-standalone mode)."""
    result = app(args, standalone_mode=False)  # type: ignore[operator]
    return int(result or 0)
