"""`roce-agent` command line. Each command lives in its own module, imported only when it runs.

Exit codes (everywhere): 0 = compliant / done, 1 = findings or a device failed, 2 = could not run
(invalid policy, inventory or playbook; nothing was contacted).

Start-up: `roce-agent --help` imports no command module (the listing below carries each command's
one-line help), and `roce-agent audit ...` imports only `agent.cli.audit_cmd`, whose top level holds
the option declarations typer needs; the heavy code (nornir, napalm, pydantic models, the lab) is
imported inside the command bodies.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

import typer
from typer import _click as click  # typer >= 0.24 vendors click; its Command/Context types
from typer.core import TyperCommand, TyperGroup, TyperOption

from agent import __version__


@dataclass(frozen=True)
class LazyCommand:
    module: str  # imported when the command runs (or its --help is shown)
    attr: str  # the module's typer.Typer for this command
    help: str  # one line for `roce-agent --help` (listed without importing the module)


# The order of `roce-agent --help`: the workflow an operator follows (policy -> lab -> plan/apply ->
# rollout -> audit), then the helpers.
COMMANDS: dict[str, LazyCommand] = {
    "policy": LazyCommand(
        "agent.cli.policy_cmd", "policy_app", "Validate and inspect lossless policies; compute PFC headroom."
    ),
    "plan": LazyCommand("agent.cli.change_cmd", "plan_app", "Show, per device, what `apply` would change."),
    "apply": LazyCommand(
        "agent.cli.change_cmd", "apply_app", "Converge devices to the policy (commit-confirm, rollback on failure)."
    ),
    "rollback": LazyCommand("agent.cli.rollback_cmd", "rollback_app", "Undo the agent's last change on each device."),
    "rollout": LazyCommand(
        "agent.cli.rollout_cmd", "rollout_app", "Roll a policy out in stages with gates; run audit/precheck playbooks."
    ),
    "audit": LazyCommand(
        "agent.cli.audit_cmd", "audit_app", "Prove the fabric matches the policy: per device, per link, end to end."
    ),
    "fabric": LazyCommand(
        "agent.cli.fabric_cmd", "fabric_app", "Fabric-wide analyses: the ECMP entropy audit (estimate)."
    ),
    "monitor": LazyCommand(
        "agent.cli.monitor_cmd", "monitor_app", "Poll counters live: Prometheus endpoint, threshold events."
    ),
    "report": LazyCommand("agent.cli.report_cmd", "report_app", "Reports over the history: counter trends (HTML)."),
    "checks": LazyCommand(
        "agent.cli.checks_cmd", "checks_app", "The numbered check catalogue: list checks, explain one."
    ),
    "host": LazyCommand(
        "agent.cli.host_cmd", "host_app", "This host's RDMA NICs against a policy, run locally on the host."
    ),
    "inventory": LazyCommand(
        "agent.cli.inventory_cmd", "inventory_app", "Build Nornir inventories from containerlab; inspect inventories."
    ),
    "lab": LazyCommand("rocelab.cli", "lab_app", "The built-in lab of SONiC and RDMA-host twins (the lab extra)."),
}


class LazyGroup(TyperGroup):
    """A typer group that imports a command's module the first time the command is resolved. While the
    group's own help is printed, commands not loaded yet are listed from COMMANDS without importing."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*(n for n in COMMANDS if available(n)), *(n for n in self.commands if n not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS or not available(cmd_name):
            return self.commands.get(cmd_name)
        lazy = COMMANDS[cmd_name]
        if self._listing:
            return TyperCommand(cmd_name, help=lazy.help, short_help=lazy.help)
        command = typer.main.get_command(getattr(importlib.import_module(lazy.module), lazy.attr))
        command.name = cmd_name
        # A Typer converted on its own gets shell-completion options; `roce-agent` has none (add_completion).
        command.params = [p for p in command.params if p.name not in ("install_completion", "show_completion")]
        untyped_flags(command)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        untyped_flags(self)
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def untyped_flags(command: click.Command) -> None:
    """No `<bool>` after on/off flags in --help (typer 0.29 prints a type for every option): a flag
    takes no value, so it shows none. Walks the command, its subcommands and their --help options."""
    ctx = click.Context(command)
    params = [*command.params, command.get_help_option(ctx)]
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            untyped_flags(sub)


def available(name: str) -> bool:
    """`roce-agent lab` exists only where the lab package (the `[lab]` extra) is installed: the lab is a
    separate package so the product never depends on the simulator."""
    return name != "lab" or importlib.util.find_spec("rocelab") is not None


app = typer.Typer(
    name="roce-agent",
    cls=LazyGroup,
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


def main() -> None:
    from agent.napalm_drivers import defer_bundled_drivers

    defer_bundled_drivers()  # NAPALM's junos/nxos/eos/... drivers only when used: ~0.1 s of CPU per command
    app()
