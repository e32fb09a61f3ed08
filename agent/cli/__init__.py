"""`roce-agent` command line. Each command group lives in its own module and registers itself here.

Exit codes (everywhere): 0 = compliant / done, 1 = findings or a device failed, 2 = could not run
(invalid policy, inventory or playbook; nothing was contacted).
"""

from __future__ import annotations

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


def _register() -> None:
    # Imported for their side effect of adding commands to `app`; order = order in --help.
    from agent.cli import policy_cmd  # noqa: F401
    from agent.cli import lab_cmd  # noqa: F401
    from agent.cli import change_cmd  # noqa: F401
    from agent.cli import rollout_cmd  # noqa: F401
    from agent.cli import host_cmd  # noqa: F401
    from agent.cli import inventory_cmd  # noqa: F401
    from agent.cli import audit_cmd, checks_cmd  # noqa: F401


_register()


def main() -> None:
    app()
