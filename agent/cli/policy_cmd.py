"""`roce-agent policy ...`: validate, show, schema, headroom.

Exit codes: 0 = valid (warnings are printed but do not fail), 2 = the policy or an argument is invalid.
Problems are printed one per line as `file:line: field: message`, every one of them, so an editor or CI
log can jump to each.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from agent.cli.policy_headroom import ASIC_OPT, PLATFORM_OPT, headroom_command, headroom_rows, settings_with
from agent.errors import EXIT_CANNOT_RUN, InputError, InputProblem
from agent.policy.loader import PolicyReport, check_policy_file
from agent.policy.model import Policy, TrafficClass
from agent.policy.units import format_bytes, parse_speed_mbps

policy_app = typer.Typer(help="Validate and inspect lossless policies; compute PFC headroom.", no_args_is_help=True)

DEFAULT_SPEEDS = ("100G", "400G")
FILE_ARG = typer.Argument(..., help="Policy YAML file.", dir_okay=False)
JSON_OPT = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")
INVENTORY_OPT = typer.Option(
    None, "--inventory", "-i", help="Also check the inventory's roce_profile names and links.yaml against the profiles."
)
PROFILE_OPT = typer.Option(None, "--profile", help="Which profile to show (default: the file's default_profile).")


def _problem_json(p: InputProblem) -> dict[str, Any]:
    return {"file": str(p.file) if p.file else None, "line": p.line, "field": p.field, "message": p.message}


def _print_problems(report: PolicyReport) -> None:
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for error in report.errors:
        typer.echo(f"error: {error}", err=True)


def _usage_error(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_CANNOT_RUN)


def _speeds(values: list[str] | None) -> list[int]:
    try:
        return [parse_speed_mbps(v) for v in (values or DEFAULT_SPEEDS)]
    except ValueError as exc:
        raise _usage_error(f"--speed: {exc}") from None


@policy_app.command("validate")
def validate(path: Path = FILE_ARG, as_json: bool = JSON_OPT, inventory: Path | None = INVENTORY_OPT) -> None:
    """Check a policy file; print every error (file:line: field: message) and warning. Exit 0 valid, 2 invalid.

    With --inventory, also each device's roce_profile and every link's two ends (same profile)."""
    report = check_policy_file(path)
    if inventory is not None and report.policies is not None:
        report = _with_inventory(report, inventory)
    if as_json:
        doc = {
            "file": str(path),
            "valid": report.policy is not None,
            "errors": [_problem_json(p) for p in report.errors],
            "warnings": [_problem_json(p) for p in report.warnings],
        }
        typer.echo(json.dumps(doc, indent=2))
    else:
        _print_problems(report)
    if report.policy is None:
        if not as_json:
            typer.echo(f"{path}: invalid policy ({len(report.errors)} error(s))", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN)
    if not as_json:
        names = list(report.policies.profiles) if report.policies else []
        profiles = f", profiles {', '.join(names)}" if len(names) > 1 else ""
        name = report.policies.name if report.policies else report.policy.name
        typer.echo(f"{path}: valid policy {name!r}{profiles} ({len(report.warnings)} warning(s))")


def _with_inventory(report: PolicyReport, inventory: Path) -> PolicyReport:
    """The report with the inventory's profile problems added (they make the policy unusable there)."""
    from agent.inventory.loader import inventory_devices, load_nornir, load_topology
    from agent.inventory.profiles import profile_problems

    assert report.policies is not None
    try:
        nr = load_nornir(inventory)
        topology = load_topology(inventory, {d.name: d.kind.value for d in inventory_devices(nr)})
        problems = profile_problems(inventory, nr, report.policies, topology)
    except InputError as exc:
        problems = exc.problems
    if not problems:
        return report
    return PolicyReport(report.path, None, problems, report.warnings)


def derived_views(policy: Policy) -> dict[str, Any]:
    """The values render and checks use, computed from the policy (what `show` adds to the file's content)."""
    return {
        "mode": policy.mode.value,
        "lossless_priorities": list(policy.lossless_priorities),
        "default_class": policy.default_class.name,
        "roce_class": policy.roce_class.name if policy.roce_class else None,
        "roce_tos": policy.roce_tos(),
        "cnp_dscp": policy.cnp_dscp,
        "cnp_priority": policy.cnp_priority,
        "ecn_notification_priorities": list(policy.ecn_notification_priorities),
        "ecn_reaction_priorities": list(policy.ecn_reaction_priorities),
        "dscp_to_priority": {str(d): p for d, p in policy.dscp_to_priority().items()},
        "nccl": nccl_view(policy),
    }


def nccl_view(policy: Policy) -> dict[str, Any] | None:
    """The /etc/nccl.conf keys the hosts get (None: the policy leaves the file alone)."""
    nccl = policy.nccl
    if nccl is None:
        return None
    gid = (
        f"auto: the lowest RoCE v2 {nccl.address_family} GID of each host's RDMA port"
        if nccl.gid_index == "auto"
        else nccl.gid_index
    )
    keys: dict[str, Any] = {"NCCL_IB_TC": policy.nccl_tc(), "NCCL_IB_GID_INDEX": gid}
    if nccl.qps_per_connection is not None:
        keys["NCCL_IB_QPS_PER_CONNECTION"] = nccl.qps_per_connection
    keys.update(nccl.settings)
    return {"file": "/etc/nccl.conf", "keys": keys, "min_qps_per_connection": nccl.minimum_qps}


@policy_app.command("show")
def show(
    path: Path = FILE_ARG,
    as_json: bool = JSON_OPT,
    speed: list[str] | None = typer.Option(None, "--speed", help="Port speed(s) to size headroom for (100G, 400G)."),
    asic: str | None = ASIC_OPT,
    platform: str | None = PLATFORM_OPT,
    profile: str | None = PROFILE_OPT,
) -> None:
    """The resolved policy (baseline merged), derived values and the PFC headroom for each speed/cable in use.

    A file with profiles shows one profile: --profile NAME, else its default_profile."""
    speeds = _speeds(speed)
    report = check_policy_file(path, speeds)
    if report.policies is None:
        _print_problems(report)
        raise typer.Exit(EXIT_CANNOT_RUN)
    if profile is not None and (why := report.policies.unknown(profile)):
        raise _usage_error(f"--profile: {why}")
    policy = report.policies.profile(profile)
    notes: list[str] = []
    try:
        rows = headroom_rows(policy, speeds, settings_with(policy, platform, asic), notes)
    except ValueError as exc:
        raise _usage_error(str(exc)) from None
    if policy.lossy:  # no lossless priority, so no PG reserves headroom
        rows, notes = [], [f"profile {policy.name!r} is mode: lossy: no lossless priority, no headroom"]
    if as_json:
        doc = {
            "profile": policy.name,
            "profiles": list(report.policies.profiles),
            "default_profile": report.policies.default_profile,
            "policy": policy.model_dump(mode="json"),
            "derived": derived_views(policy),
            "headroom": rows,
            "headroom_notes": notes,
            "warnings": [_problem_json(p) for p in report.warnings],
        }
        typer.echo(json.dumps(doc, indent=2))
        return
    _print_problems(report)
    for note in notes:
        typer.echo(f"note: no headroom row: {note}", err=True)
    _show_tables(policy, rows)


def _ecn_text(c: TrafficClass) -> str:
    if c.ecn is None:
        return "-"
    return f"{format_bytes(c.ecn.min_threshold)}-{format_bytes(c.ecn.max_threshold)} {c.ecn.probability}%"


def _show_tables(policy: Policy, rows: list[dict[str, Any]]) -> None:
    console = Console(highlight=False, soft_wrap=True, width=max(Console().width, 100))
    base = f" (baseline {policy.baseline})" if policy.baseline else ""
    console.print(
        f"policy {policy.name!r}{base}: mode {policy.mode.value}, trust {policy.trust.value}, "
        f"buffer model {policy.buffer_model.value}"
    )
    classes = Table("class", "dscp", "pcp", "prio", "lossless", "sched", "ecn", "role", title="classes")
    for c in policy.classes:
        sched = c.scheduling.type.value + (f" {c.scheduling.weight}" if c.scheduling.weight else "")
        ecn = _ecn_text(c)
        role = ",".join(r for r, on in (("default", c.default), ("cnp", c.cnp), ("roce", c.roce)) if on) or "-"
        dscp = ",".join(map(str, c.dscp)) or "-"
        pcp = ",".join(map(str, c.pcp)) or "-"
        classes.add_row(c.name, dscp, pcp, str(c.priority), "yes" if c.lossless else "no", sched, ecn, role)
    console.print(classes)
    wd = policy.pfc.watchdog
    console.print(
        f"PFC priorities {list(policy.lossless_priorities)} (max {policy.pfc.max_lossless_priorities}); watchdog "
        f"{'on' if wd.enabled else 'off'} {wd.action.value} detect {wd.detection_time} ms restore "
        f"{wd.restoration_time} ms poll {wd.poll_interval} ms"
    )
    console.print(
        f"MTU switch {policy.mtu.switch} host {policy.mtu.host}; cable "
        + ", ".join(f"{role} {m}m" for role, m in policy.cable_length.items())
        + f"; {len(policy.overrides)} override(s)"
    )
    console.print(
        f"hosts: RoCE {policy.host.roce_mode} ToS {policy.roce_tos()}, CNP DSCP {policy.cnp_dscp} prio "
        f"{policy.cnp_priority}, ECN NP {list(policy.ecn_notification_priorities)} "
        f"RP {list(policy.ecn_reaction_priorities)}"
    )
    nccl = nccl_view(policy)
    if nccl is not None:
        keys = ", ".join(f"{k}={v}" if not str(v).startswith("auto") else f"{k}=auto" for k, v in nccl["keys"].items())
        low = nccl["min_qps_per_connection"]
        console.print(f"NCCL ({nccl['file']}): {keys}" + (f"; audit: QPs per connection >= {low}" if low else ""))
    if policy.lossy:
        return
    where = (rows[0]["platform"] or rows[0]["asic"]) if rows else "-"
    columns = ("speed", "lanes", "cable", "xon", "xoff", "size", "physical bound", "per port")
    table = Table(*columns, title=f"headroom per PG (bytes), SONiC dynamic-model formula on {where}")
    for r in rows:
        bound = str(r["physical_bound"]) if r["physical_bound"] is not None else "-"
        table.add_row(
            f"{r['speed_mbps'] // 1000}G", str(r["lanes"] or ("<8" if r["platform"] else "-")), f"{r['cable_m']}m",
            *(str(r[k]) for k in ("xon", "xoff", "size")),
            bound, str(r["per_port_bytes"]),
        )  # fmt: skip
    console.print(table)
    if policy.buffer_model.value == "traditional":
        console.print("note: in the traditional buffer model the switch takes headroom from pg_profile_lookup.ini")


@policy_app.command("schema")
def schema() -> None:
    """JSON Schema of a policy file, single or with profiles (point your editor's YAML language server at it)."""
    from agent.policy.schema import policy_file_schema

    typer.echo(json.dumps(policy_file_schema(), indent=2))


policy_app.command("headroom")(headroom_command)
