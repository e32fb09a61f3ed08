"""`roce-agent rollback`: undo the agent's last change per device, under the same locks as `apply`.

Switches go back to a device-side checkpoint, hosts to the before-snapshot their last apply kept on the
host (agent.platforms.linux_rdma.snapshots); both are the adapters' own `rollback`, as rollouts use it.
"""

from __future__ import annotations

import json

import typer

from agent.cli.change_cmd import approver, run_change
from agent.cli.options import INSECURE_OPT, JSON_OPT, YES_OPT, Targets, takes

rollback_app = typer.Typer()

ROLLBACK_HELP = (
    "Undo the agent's last change on each device: a switch returns to the checkpoint of its pending commit "
    "(else the newest agent checkpoint); a host to the before-snapshot its pending apply (else its newest apply) "
    "kept on the host, restored setting by setting, link flaps waited out, re-read and verified. DCBX stays "
    "OS-controlled on hosts (dcb cannot hand it back to the firmware).\n\n"
    "Locks as `apply`. Exit codes: 0 every device rolled back or had nothing to undo; 1 a device failed or was "
    "locked; 2 could not run (bad input, inventory locked, not confirmed)."
)


@rollback_app.command("rollback", help=ROLLBACK_HELP)
@takes(Targets)
def rollback_cmd(
    targets: Targets,
    yes: bool = YES_OPT,
    as_json: bool = JSON_OPT,
    insecure: bool = INSECURE_OPT,
) -> None:
    """Undo the agent's last change per device; --help text in ROLLBACK_HELP."""
    from agent.app.change import RollbackRequest, rollback

    request = RollbackRequest(targets.request(insecure))
    run = run_change(lambda: rollback(request, approver(yes, "Roll back the last agent change on")))
    devices = [d.to_json() for d in run.devices]
    if as_json:
        typer.echo(json.dumps({"devices": devices, "recap": run.recap()}, indent=2))
    else:
        for dev in devices:
            typer.echo(f"=== {dev['device']}: {dev['status']}" + (f" - {dev['detail']}" if dev.get("detail") else ""))
        typer.echo(f"recap: {run.recap_line()}")
    raise typer.Exit(0 if run.all_ok else 1)
