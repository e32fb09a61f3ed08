"""Options several commands share, and how every command reports bad input. Light on purpose: the
command modules import this at start-up (see agent.cli)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, NoReturn, ParamSpec, TypeVar, get_type_hints

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


_OPTION = "typer_option"
G = TypeVar("G")
P = ParamSpec("P")


def shared(option: Any) -> dict[str, Any]:
    """An option group field's metadata (see `takes`): the typer.Option every command declares it with."""
    return {_OPTION: option}


def takes(group: type[G]) -> Callable[[Callable[Concatenate[G, P], None]], Callable[..., None]]:
    """Declare options several commands share once, as a dataclass of `field(metadata=shared(...))` fields.

    The decorated command's first parameter is the group; typer sees the group's fields (in their order)
    followed by the command's own options, so --help and parsing are as if each command listed them all.
    """
    group_hints = get_type_hints(group)
    common = [
        inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, default=f.metadata[_OPTION], annotation=group_hints[f.name]
        )
        for f in fields(group)  # type: ignore[arg-type]
    ]

    def wrap(command: Callable[Concatenate[G, P], None]) -> Callable[..., None]:
        hints = get_type_hints(command)
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints.get(p.name, p.annotation))
            for p in list(inspect.signature(command).parameters.values())[1:]
        ]

        invoke: Callable[..., None] = command  # called with the parsed options by name

        @functools.wraps(command)
        def run(**options: Any) -> None:
            values = group(**{p.name: options.pop(p.name) for p in common})
            invoke(values, **options)

        params = [*common, *own]
        run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
        return run

    return wrap


@dataclass(frozen=True)
class Targets:
    """Which devices a device command works on: the inventory, its policy, and the --limit/--group filter."""

    inventory: Path = field(metadata=shared(INVENTORY_OPT))
    policy: Path | None = field(metadata=shared(POLICY_OPT))
    limit: str | None = field(metadata=shared(LIMIT_OPT))
    group: str | None = field(metadata=shared(GROUP_OPT))

    def request(self, insecure: bool, workers: int | None = None) -> InventoryRequest:
        return inventory_request(self.inventory, self.policy, self.limit, self.group, insecure, workers)


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
