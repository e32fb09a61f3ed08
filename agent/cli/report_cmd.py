"""`roce-agent report`: reports over the inventory's history (today: `report trends`)."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from agent.cli.options import cannot_run

report_app = typer.Typer(help="Reports over the inventory's history.", no_args_is_help=True)

_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|h|d)\s*$")


def parse_since(text: str) -> float:
    """`90m`, `24h`, `7d` -> seconds; ValueError naming what is allowed."""
    m = _SINCE.match(text)
    if m is None:
        raise ValueError(f"--since wants a span like 90m, 24h or 7d, got {text!r}")
    return float(m.group(1)) * {"m": 60.0, "h": 3600.0, "d": 86400.0}[m.group(2)]


@report_app.callback()
def report_group() -> None:
    """Reports over the inventory's history (a group, so more reports can join `trends`)."""


@report_app.command("trends")
def trends_cmd(
    inventory: Path = typer.Option(..., "-i", "--inventory", help="Inventory directory."),
    since: str = typer.Option("24h", "--since", help="How far back (90m, 24h, 7d)."),
    html_out: Path = typer.Option(..., "--html", help="Write the self-contained HTML report here."),
    top: int = typer.Option(12, "--top", min=1, help="How many worst ports get a chart."),
) -> None:
    """Per-port time series (PFC, ECN, drops, retransmits) and the worst ports, from `monitor`'s history."""
    import time

    from agent.errors import InputError, InputProblem
    from agent.monitor import store
    from agent.monitor.trends import render_html
    from agent.report import history

    if not Path(inventory).is_dir():
        cannot_run(InputError([InputProblem(inventory, None, "--inventory", "not a directory")]))
    try:
        start = time.time() - parse_since(since)
    except ValueError as exc:
        cannot_run(exc)
    path = history.db_path(inventory)
    rows, times, events = store.samples(path, start), store.cycles(path, start), store.events(path, start)
    html_out.write_text(render_html(rows, times, events, start, f"roce-agent trends: {inventory}", top))
    typer.echo(f"trends of {len(times)} cycles, {len(events)} events written to {html_out}", err=True)
