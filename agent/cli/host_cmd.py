"""`roce-agent host audit|plan|apply`: this host's RDMA NICs, run on the host itself (no SSH, no inventory).

Commands run locally as argument lists (pyroute2 for MTU and link events). The policy file is validated
before anything is read from the NICs; a bad policy or interface name exits 2. Exit codes: 0 compliant /
nothing to do / applied, 1 findings or the NIC could not be configured (rolled back), 2 could not run.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from agent.checks.engine import run_checks
from agent.checks.finding import Finding, Severity
from agent.cli.options import shared, takes
from agent.errors import EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK, DeviceError, InputError, InputProblem
from agent.intent import DeviceIntent, PortIntent
from agent.platforms.base import ApplyOptions, ApplyStatus, ChangePlan
from agent.platforms.linux_rdma.adapter import ADAPTER
from agent.platforms.linux_rdma.commands import NETNS_RE, check_ifname
from agent.platforms.linux_rdma.executors import LocalRunner
from agent.platforms.linux_rdma.gather import discover_interfaces
from agent.policy.loader import load_policy_set
from agent.policy.model import Policy
from agent.policy.resolve import effective_policy
from agent.state import DeviceKind
from agent.topology.model import Topology

host_app = typer.Typer(
    help="This host's RDMA NICs against a policy, run locally on the host (dcb, rdma, ethtool, sysfs, pyroute2).",
    no_args_is_help=True,
)

POLICY_OPT = typer.Option(..., "-p", "--policy", help="Lossless policy file (YAML).")
IFACE_OPT = typer.Option(
    None,
    "--interface",
    help="RDMA netdev (the physical function), repeatable. Default: every netdev `rdma link` shows.",
)
JSON_OPT = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")
NETNS_OPT = typer.Option(None, "--netns", help="Run every command inside this network namespace.")
ROLE_OPT = typer.Option("rdma-host", "--role", help="Role used to match policy overrides.")
PROFILE_OPT = typer.Option(None, "--profile", help="This host's profile of the policy (default: its default_profile).")


@dataclass(frozen=True)
class HostArgs:
    """What every host command is told: the policy, which NICs, where, and how to answer."""

    policy_file: Path = field(metadata=shared(POLICY_OPT))
    interface: list[str] | None = field(metadata=shared(IFACE_OPT))
    as_json: bool = field(metadata=shared(JSON_OPT))
    netns: str | None = field(metadata=shared(NETNS_OPT))
    role: str = field(metadata=shared(ROLE_OPT))
    profile: str | None = field(metadata=shared(PROFILE_OPT))


def _fail(problems: list[InputProblem]) -> typer.Exit:
    for p in problems:
        typer.echo(f"error: {p}", err=True)
    return typer.Exit(EXIT_CANNOT_RUN)


def _setup(
    policy_file: Path, interfaces: list[str] | None, netns: str | None, profile: str | None = None
) -> tuple[Policy, LocalRunner, list[str]]:
    """Validate everything the operator typed before touching a NIC."""
    try:
        policies = load_policy_set(policy_file)
    except InputError as exc:
        raise _fail(exc.problems) from None
    if profile is not None and (why := policies.unknown(profile)):
        raise _fail([InputProblem(policy_file, None, "--profile", why)])
    policy = policies.profile(profile)
    problems = []
    for name in interfaces or []:
        try:
            check_ifname(name)
        except ValueError as exc:
            problems.append(InputProblem(None, None, "--interface", str(exc)))
    if netns is not None and not NETNS_RE.match(netns):
        problems.append(InputProblem(None, None, "--netns", f"{netns!r} is not a network namespace name"))
    if problems:
        raise _fail(problems)
    runner = LocalRunner(socket.gethostname(), netns=netns)
    if netns is not None and not Path(f"/run/netns/{netns}").exists():
        raise _fail([InputProblem(None, None, "--netns", f"network namespace {netns!r} does not exist")])
    return policy, runner, list(interfaces or [])


def _local_intent(args: HostArgs) -> tuple[LocalRunner, DeviceIntent]:
    """What audit, plan and apply start from: validated input (exit 2), then this host's intent (interface
    discovery already runs commands, so its failures are device failures, exit 1)."""
    policy, runner, names = _setup(args.policy_file, args.interface, args.netns, args.profile)
    with _device_step(args.as_json, runner.device):
        return runner, _intent(policy, runner, names, args.role)


def _intent(policy: Policy, runner: LocalRunner, interfaces: list[str], role: str) -> DeviceIntent:
    eff = effective_policy(policy, runner.device, (), role)
    names = interfaces or discover_interfaces(runner)
    ports = {
        name: PortIntent(
            name=name,
            link_role="host",
            cable_m=eff.cable_length_for("host"),
            mtu=eff.mtu.host,
            lossless_priorities=eff.lossless_priorities,
        )
        for name in names
    }
    return DeviceIntent(
        name=runner.device, kind=DeviceKind.host, platform=ADAPTER.name, role=role, policy=eff, ports=ports
    )


def _emit(as_json: bool, doc: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(doc, indent=2, default=str))
    else:
        for line in lines:
            typer.echo(line)


@contextmanager
def _device_step(as_json: bool, device: str) -> Iterator[None]:
    """A DeviceError while reading or writing the NICs ends the command as a device failure (exit 1),
    reported in one shape whichever command hit it."""
    try:
        yield
    except DeviceError as exc:
        _emit(as_json, {"device": device, "status": "failed", "error": str(exc)}, [f"{device}: FAILED: {exc.detail}"])
        raise typer.Exit(EXIT_FINDINGS) from None


@host_app.command("audit")
@takes(HostArgs)
def audit_cmd(args: HostArgs) -> None:
    """Read the NICs in one batch and run the host checks; exit 1 if any error-level finding."""
    runner, intent = _local_intent(args)
    with _device_step(args.as_json, runner.device):
        state = ADAPTER.normalize(runner.device, ADAPTER.gather(runner, intent))
    findings = run_checks({intent.name: intent}, {intent.name: state}, Topology())
    errors = [f for f in findings if f.severity is Severity.error]
    doc = {
        "device": intent.name,
        "findings": [f.model_dump(mode="json") for f in findings],
        "state": state.model_dump(mode="json"),
    }
    _emit(args.as_json, doc, _finding_lines(intent.name, findings, state.raw_errors))
    raise typer.Exit(EXIT_FINDINGS if errors else EXIT_OK)


def _finding_lines(device: str, findings: list[Finding], raw_errors: list[str]) -> list[str]:
    lines = [f"{device}: read problem: {e}" for e in raw_errors]
    for f in findings:
        where = f.port or device
        detail = f" expected {f.expected}, found {f.actual}" if f.expected or f.actual else ""
        lines.append(f"{f.severity.value.upper():7} {f.check_id} {where}: {f.title}{detail}")
        if f.remediation:
            lines.append(f"        fix: {f.remediation}")
    if not findings:
        lines.append(f"{device}: compliant")
    return lines


@host_app.command("plan")
@takes(HostArgs)
def plan_cmd(args: HostArgs) -> None:
    """Show what `apply` would change on each NIC (nothing is written)."""
    runner, intent = _local_intent(args)
    with _device_step(args.as_json, runner.device):
        plan = ADAPTER.plan(intent, ADAPTER.gather(runner, intent))
    _emit(args.as_json, _plan_doc(plan), _plan_lines(plan))
    raise typer.Exit(EXIT_OK)


def _plan_doc(plan: ChangePlan) -> dict[str, Any]:
    return {
        "device": plan.device,
        "operations": plan.operations_json(),
        "lines": plan.lines,
        "warnings": plan.warnings,
        "base_fingerprint": plan.base_fingerprint,
    }


def _plan_lines(plan: ChangePlan) -> list[str]:
    lines = [f"warning: {w}" for w in plan.warnings]
    lines += [f"~ {line}" for line in plan.lines] or [f"{plan.device}: no changes"]
    return lines


@host_app.command("apply")
@takes(HostArgs)
def apply_cmd(
    args: HostArgs,
    dry_run: bool = typer.Option(False, "--dry-run", help="Plan and snapshot checks only; write nothing."),
) -> None:
    """Apply the policy: snapshot, write and re-read each change, wait out mlx5 link flaps, roll back on failure."""
    runner, intent = _local_intent(args)
    with _device_step(args.as_json, runner.device):
        plan = ADAPTER.plan(intent, ADAPTER.gather(runner, intent))
        outcome = ADAPTER.apply(runner, intent, plan, ApplyOptions(dry_run=dry_run))
    doc = {
        "device": outcome.device,
        "status": outcome.status.value,
        "detail": outcome.detail,
        "events": outcome.events,
        "verification": outcome.verification,
        "plan": _plan_doc(plan),
    }
    lines = [*_plan_lines(plan), f"{outcome.device}: {outcome.status.value}: {outcome.detail}"]
    lines += [f"event: {e}" for e in outcome.events] + [f"verify: {v}" for v in outcome.verification]
    _emit(args.as_json, doc, lines)
    ok = outcome.status in (ApplyStatus.applied, ApplyStatus.unchanged)
    raise typer.Exit(EXIT_OK if ok else EXIT_FINDINGS)
