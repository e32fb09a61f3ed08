"""`roce-agent monitor`: options -> agent.app.monitor (poll, Prometheus endpoint, threshold events).

Exit: 0 stopped cleanly (with --once: no threshold event left raised), 1 (--once) an event is raised,
2 could not run (bad input; nothing contacted).
"""

from __future__ import annotations

import re
import signal
import threading
from pathlib import Path

import typer

from agent.cli.options import GROUP_OPT, INSECURE_OPT, LIMIT_OPT, POLICY_OPT, cannot_run, inventory_request

monitor_app = typer.Typer(
    help="Poll counters every interval, serve them to Prometheus, raise and clear threshold events.",
    invoke_without_command=True,
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")


def parse_interval(text: str) -> float:
    """`10s`, `500ms`, `1m` or a plain number of seconds -> seconds; ValueError naming what is allowed."""
    m = _DURATION.match(text)
    if m is None or float(m.group(1)) <= 0:
        raise ValueError(f"--interval wants a duration like 10s, 500ms or 1m, got {text!r}")
    return float(m.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[m.group(2) or "s"]


@monitor_app.callback()
def monitor_cmd(
    inventory: Path = typer.Option(..., "-i", "--inventory", help="Inventory directory (Nornir + links.yaml)."),
    policy: Path = POLICY_OPT,
    interval: str = typer.Option("10s", "--interval", help="Time between counter reads (10s, 500ms, 1m)."),
    listen: str = typer.Option("127.0.0.1:9464", "--listen", help="HOST:PORT of the Prometheus endpoint."),
    no_listen: bool = typer.Option(False, "--no-listen", help="Serve no endpoint (events only)."),
    events: Path = typer.Option(None, "--events", help="Append event JSON lines to this file (default: stdout)."),
    once: bool = typer.Option(False, "--once", help="Two reads one interval apart, print events, exit 1 if any."),
    cycles: int = typer.Option(None, "--cycles", min=1, help="Stop after this many intervals."),
    limit: str = LIMIT_OPT,
    group: str = GROUP_OPT,
    no_history: bool = typer.Option(False, "--no-history", help="Keep no samples or events in the history."),
    insecure: bool = INSECURE_OPT,
) -> None:
    """Watch PFC pauses, ECN marks, lossless drops, headroom, watchdog storms and RDMA counters live.

    Events (JSON lines: time, device, port, priority, metric, value, threshold, severity, state) go to
    stdout or --events; thresholds are the policy's `monitoring:` section. Stop with Ctrl-C or SIGTERM."""
    from agent.app.monitor import MonitorRequest, run_monitor
    from agent.errors import InputError

    try:
        seconds = parse_interval(interval)
    except ValueError as exc:
        cannot_run(exc)
    request = MonitorRequest(
        inventory_request(inventory, policy, limit, group, insecure),
        interval_s=seconds,
        listen=None if no_listen else listen,
        events=events,
        once=once,
        cycles=cycles,
        record_history=not no_history,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def listening(port: int) -> None:
        typer.echo(f"serving Prometheus metrics on http://{listen.rpartition(':')[0] or '0.0.0.0'}:{port}/metrics",
                   err=True)  # fmt: skip

    try:
        run = run_monitor(request, stop=stop, on_listen=listening)
    except InputError as exc:
        cannot_run(exc)
    typer.echo(f"monitor stopped after {run.cycles} cycle(s), {run.event_count} event(s)", err=True)
    raise typer.Exit(run.exit_code if once else 0)
