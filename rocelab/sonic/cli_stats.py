"""The counter scripts behind `show queue ...` / `show priority-group ...` and their `sonic-clear` side.

`show` runs them as sonic-utilities' show/main.py does (`show queue counters PORT --json` is
`queuestat -p PORT -j`, `show priority-group persistent-watermark headroom` is `watermarkstat -p -t
pg_headroom`), so both spellings print the same bytes. Errors go where the real script sends them:
queuestat/wredstat print on stdout and exit 1, watermarkstat prints on stderr.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rocelab.sonic import stats
from rocelab.sonic.qosview import TICK_MS
from rocelab.sonic.show import natsorted
from rocelab.twin import CommandResult

if TYPE_CHECKING:
    from rocelab.sonic.twin import SonicTwin

BOOT = datetime(2026, 1, 1)  # naive, like the scripts' datetime.now()
REPORTS = {"queue": stats.QUEUESTAT, "wred": stats.WREDSTAT}


def wall_time(twin: SonicTwin) -> str:
    """The twin's logical clock as `datetime.now().isoformat()` would print it."""
    return (BOOT + timedelta(milliseconds=twin.clock * TICK_MS)).isoformat()


def _option(args: list[str], *names: str) -> str | None:
    for i, arg in enumerate(args[:-1]):
        if arg in names:
            return args[i + 1]
    return None


def _queue_oids(twin: SonicTwin) -> list[str]:
    return [q.oid for queues in stats.port_queues(twin.counters).values() for q in queues]


def queue_script(twin: SonicTwin, group: str, args: list[str]) -> CommandResult:
    """`queuestat|wredstat [-p PORT] [-j] [-c] [-d]`."""
    report = REPORTS[group]
    try:
        if "-d" in args or "--delete" in args:
            twin.counter_snapshots.pop(group, None)
        if "-c" in args or "--clear" in args:
            baseline = stats.snapshot(twin.counters, _queue_oids(twin), report.fields, wall_time(twin))
            twin.counter_snapshots[group] = baseline
            ports = natsorted(stats.port_queues(twin.counters))
            return CommandResult(stdout="".join(f"Clear and update saved counters for {p}\n" for p in ports))
        text = stats.queue_report(
            report,
            twin.counters,
            port=_option(args, "-p", "--port"),
            as_json="-j" in args or "--json_opt" in args,
            baseline=twin.counter_snapshots.get(group),
            now=wall_time(twin),
        )
    except stats.StatError as exc:
        return CommandResult(stdout=f"{exc}\n", exit_code=1)
    return CommandResult(stdout=text)


def watermark_script(twin: SonicTwin, args: list[str]) -> CommandResult:
    """`watermarkstat [-p] -t TYPE [-c]`; `-c` asks watermarkorch to zero the USER (or PERSISTENT) table."""
    wm_type = _option(args, "-t", "--type")
    known = [*stats.WATERMARKS, *stats.POOL_WATERMARKS]
    if wm_type not in known:
        choices = ", ".join(f"'{k}'" for k in known)
        message = f"Error: Invalid value for '-t' / '--type': '{wm_type}' is not one of {choices}.\n"
        return CommandResult(
            stderr="Usage: watermarkstat [OPTIONS]\nTry 'watermarkstat --help' for help.\n\n" + message, exit_code=2
        )
    persistent = "-p" in args or "--persistent" in args
    if "-c" in args or "--clear" in args:
        twin.clear_watermarks(wm_type, persistent=persistent)
        return CommandResult()
    try:
        return CommandResult(stdout=stats.watermark_report(twin.counters, wm_type, persistent=persistent))
    except stats.StatError as exc:
        if wm_type == "q_shared_multi" and "multicast" in str(exc):
            return CommandResult(stdout=f"{exc}\n")
        return CommandResult(stderr=f"{exc}\n", exit_code=1)


SHOW_WATERMARK = {"headroom": "pg_headroom", "shared": "pg_shared"}
SHOW_QUEUE_WATERMARK = {"unicast": "q_shared_uni", "multicast": "q_shared_multi", "all": "q_shared_all"}


def show_queue_counters(twin: SonicTwin, args: list[str], group: str) -> CommandResult:
    """`show queue counters|wredcounters [PORT] [-j|--json]`."""
    ports = [a for a in args if not a.startswith("-")]
    argv = ["-p", ports[0]] if ports else []
    if "-j" in args or "--json" in args:
        argv.append("-j")
    return queue_script(twin, group, argv)


def show_watermark(twin: SonicTwin, args: list[str], names: dict[str, str], *, persistent: bool) -> CommandResult:
    """`show priority-group|queue [persistent-]watermark KIND` and `show buffer_pool|headroom-pool ...`."""
    kind = args[0] if args else ""
    if kind not in names:
        options = "|".join(names)
        return CommandResult(
            stderr=f"Usage: show [OPTIONS] COMMAND [ARGS]...\n\nError: Missing command {options}.\n", exit_code=2
        )
    argv = ["-t", names[kind]] + (["-p"] if persistent else [])
    return watermark_script(twin, argv)


def clear_command(twin: SonicTwin, args: list[str]) -> CommandResult | None:
    """`sonic-clear queuecounters|queue wredcounters|priority-group [persistent-]watermark ...`; None: not ours."""
    if args[:1] == ["queuecounters"]:
        return queue_script(twin, "queue", ["-c"])
    if args[:2] == ["queue", "wredcounters"]:
        return queue_script(twin, "wred", ["-c"])
    for group, names in (("priority-group", SHOW_WATERMARK), ("queue", SHOW_QUEUE_WATERMARK)):
        kind = args[2] if len(args) > 2 else ""
        if args[:1] == [group] and args[1:2] in (["watermark"], ["persistent-watermark"]) and kind in names:
            return watermark_script(twin, ["-c", "-t", names[args[2]]] + (["-p"] if args[1] != "watermark" else []))
    if args[:1] in (["buffer_pool"], ["headroom-pool"]) and args[1:2] in (["watermark"], ["persistent-watermark"]):
        wm_type = "buffer_pool" if args[0] == "buffer_pool" else "headroom_pool"
        return watermark_script(twin, ["-c", "-t", wm_type] + (["-p"] if args[1] != "watermark" else []))
    return None
