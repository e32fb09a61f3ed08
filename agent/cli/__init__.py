"""`roce-agent` command line. Each command group lives in its own module and registers itself here.

Exit codes (everywhere): 0 = compliant / done, 1 = findings or a device failed, 2 = could not run
(invalid policy, inventory or playbook; nothing was contacted).
"""

from __future__ import annotations

import importlib
import importlib.util

import typer

from agent import __version__

app = typer.Typer(
    name="roce-agent",
    help="Configure and validate lossless RoCE fabrics (PFC, ECN, DSCP trust, buffers) on SONiC "
    "switches and RDMA host NICs from one declared policy.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"roce-agent {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show version."),
) -> None:
    """roce-agent: one lossless policy, rendered, pushed safely and proven across the fabric."""
    from agent.redact import install_output_masking
    from agent.transports.hostkeys import warn_on_stderr

    install_output_masking()  # known secrets never reach the console or a log, whichever command prints
    warn_on_stderr()  # e.g. a ~/.ssh/known_hosts line that conflicts with the inventory's pin


# Command modules add their commands to `app` when imported; this order is the order in --help:
# the workflow an operator follows (policy -> lab -> plan/apply -> rollout -> audit), then the helpers.
COMMAND_MODULES = ("policy", "change", "rollback", "rollout", "audit", "checks", "host", "inventory")


def _register() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"agent.cli.{name}_cmd")
    _register_lab()


def _register_lab() -> None:
    """`roce-agent lab` exists only where the lab package (the `[lab]` extra) is installed: the lab is a
    separate package so the product never depends on the simulator."""
    if importlib.util.find_spec("rocelab") is None:
        return
    from rocelab.cli import lab_app

    app.add_typer(lab_app, name="lab")


_register()


def main() -> None:
    app()
