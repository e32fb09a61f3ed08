"""`roce-agent rollback`: undo the agent's last change per device, under the same locks as `apply`.

Switches go back to a device-side checkpoint, hosts to the before-snapshot their last apply kept on the
host (agent.platforms.linux_rdma.snapshots); both are the adapters' own `rollback`, as rollouts use it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from agent.cli import app
from agent.cli.change_cmd import (
    APPLY_LOCK_TTL_S,
    GROUP_OPT,
    INSECURE_OPT,
    INVENTORY_OPT,
    JSON_OPT,
    LIMIT_OPT,
    POLICY_OPT,
    _run,
    select_for_change,
)
from agent.errors import EXIT_FINDINGS, EXIT_OK
from agent.failure import reason
from agent.rollout.locks import LockInfo, device_guard

ROLLBACK_HELP = (
    "Undo the agent's last change on each device: a switch returns to the checkpoint of its pending commit "
    "(else the newest agent checkpoint); a host to the before-snapshot its pending apply (else its newest apply) "
    "kept on the host, restored setting by setting, link flaps waited out, re-read and verified. DCBX stays "
    "OS-controlled on hosts (dcb cannot hand it back to the firmware).\n\n"
    "Locks as `apply`. Exit codes: 0 every device rolled back or had nothing to undo; 1 a device failed or was "
    "locked; 2 could not run (bad input, inventory locked, not confirmed)."
)


@app.command("rollback", help=ROLLBACK_HELP)
def rollback_cmd(
    inventory: Path = INVENTORY_OPT,
    policy: Path | None = POLICY_OPT,
    limit: str | None = LIMIT_OPT,
    group: str | None = GROUP_OPT,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before changing devices."),
    as_json: bool = JSON_OPT,
    insecure: bool = INSECURE_OPT,
) -> None:
    """Undo the agent's last change per device; --help text in ROLLBACK_HELP."""
    from agent.platforms.tasks import rollback_task
    from agent.txid import new_txid

    sel = select_for_change(
        inventory, policy, limit, group, insecure=insecure, yes=yes, verb="Roll back the last agent change on"
    )
    lock = LockInfo.new(new_txid(), "roce-agent rollback", APPLY_LOCK_TTL_S)
    results = _run(sel, "rolling back", rollback_task, quiet=False, guard=device_guard(lock))
    devices = [_rollback_json(name, multi[0]) for name, multi in sorted(results.items())]
    if as_json:
        typer.echo(json.dumps({"devices": devices}, indent=2))
    else:
        for dev in devices:
            typer.echo(f"=== {dev['device']}: {dev['status']}" + (f" - {dev['detail']}" if dev.get("detail") else ""))
    raise typer.Exit(EXIT_FINDINGS if any(d["status"] == "failed" for d in devices) else EXIT_OK)


def _rollback_json(name: str, res: Any) -> dict[str, Any]:
    if res.failed or res.exception is not None:
        return {"device": name, "status": "failed", "detail": reason(res)}
    if isinstance(res.result, str):  # the switch checkpoint or host snapshot (txid) restored
        return {"device": name, "status": "rolled_back", "detail": f"back to {res.result}"}
    return {"device": name, "status": "nothing_to_undo", "detail": "no agent change recorded on the device"}
