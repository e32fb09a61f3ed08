"""Options several commands share, and how every command reports bad input. Light on purpose: the
command modules import this at start-up (see agent.cli)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from agent.app.inputs import InventoryRequest

INVENTORY_OPT = typer.Option(..., "-i", "--inventory", help="Inventory directory (Nornir SimpleInventory + links).")
POLICY_OPT = typer.Option(None, "-p", "--policy", help="Policy file (default: policy.yaml in the inventory).")
LIMIT_OPT = typer.Option(None, "--limit", help="Only these devices (comma-separated names).")
GROUP_OPT = typer.Option(None, "--group", help="Only devices of this Nornir group.")
JSON_OPT = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")
YES_OPT = typer.Option(False, "--yes", "-y", help="Do not ask before changing devices.")
WORKERS_OPT = typer.Option(
    None,
    "--workers",
    min=1,
    max=1024,
    help="Devices worked on at once. Default: chosen per run from the device count and the per-device cost "
    "(controller CPU and time waiting for the device) measured on this inventory's last run, or modelled: "
    "ceil(1.5 x (1 + wait / CPU)), at most the device count and 128 (see benchmarks/README.md).",
)
INSECURE_OPT = typer.Option(
    False, "--insecure-skip-host-key-check", help="Accept unknown SSH host keys (throwaway labs only)."
)


def cannot_run(message: object) -> NoReturn:
    """Bad input: the message (every problem, file:line: field: ...), exit 2, nothing contacted."""
    typer.echo(f"error: {message}\nno device was contacted", err=True)
    raise typer.Exit(2)


def inventory_request(inventory: Path, policy: Path | None, limit: str | None, group: str | None,
                      insecure: bool, workers: int | None = None) -> InventoryRequest:  # fmt: skip
    """The typed request for the options every device command takes (agent.app imported on use)."""
    from agent.app.inputs import DeviceFilter, InventoryRequest

    return InventoryRequest(
        Path(inventory), policy, DeviceFilter(limit, group), verify_host_keys=not insecure, workers=workers
    )
