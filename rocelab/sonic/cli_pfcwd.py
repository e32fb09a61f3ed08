"""`pfcwd start|stop|interval|start_default|big_red_switch|counter_poll|pfc_stat_history` (also `config pfcwd ...`).

What each command writes is sonic-utilities' pfcwd/main.py of the twin's release, because the agent relies
on it to create PFC_WD on a fresh image (GCU refuses creating that table):

* `start [--action A] [--restoration-time R] [--pfc-stat-history] PORTS|all DETECTION`: per port with
  `pfc_enable` present, the row is replaced by `detection_time`, `restoration_time` (2 x detection when not
  given, with a message), `action` only when given; from 202511 also `pfc_stat_history` (`enable` with the
  flag, else the value the *first* port had, default `disable`: the release fills one shared dict with
  `setdefault`). A port without `pfc_enable` prints `SKIPPED: ...`; an unknown port is refused up front.
  It never writes `PFC_WD|GLOBAL`.
* `start_default`: nothing unless `DEVICE_METADATA|localhost default_pfcwd_status` is `enable`; else timers
  of 200 ms x (1 + (ports - 1) // 32) on DEVICE_NEIGHBOR ports, action drop, `pfc_stat_history disable`
  from 202511, and `PFC_WD|GLOBAL POLL_INTERVAL` 200 x that factor (capped at 1000 from 202511).
* `interval N`: refused when N exceeds any port's detection or restoration time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rocelab.sonic.show import natsorted
from rocelab.twin import CommandResult

if TYPE_CHECKING:
    from rocelab.sonic.twin import SonicTwin

HISTORY_FROM = "202511"  # sonic-utilities #3779 (PFC historical statistics), first in the 202511 branch
DEFAULT_TIMER = 200
DEFAULT_PORT_NUM = 32
MAX_POLL_INTERVAL = 1000


def fail(cmd: str, message: str) -> CommandResult:
    """click's usage error for `pfcwd <cmd>`: stderr, exit 2."""
    name = f"pfcwd {cmd}".rstrip()
    usage = f"Usage: {name} [OPTIONS] {'COMMAND [ARGS]...' if not cmd else '[ARGS]...'}"
    return CommandResult(stderr=f'{usage}\nTry "{name} -h" for help.\n\nError: {message}\n', exit_code=2)


def has_history(twin: SonicTwin) -> bool:
    return twin.release.release >= HISTORY_FROM


def run(twin: SonicTwin, rest: list[str]) -> CommandResult:
    sub, args = (rest[0], rest[1:]) if rest else ("", [])
    if sub == "start":
        return _start(twin, args)
    if sub == "interval" and len(args) == 1:
        return _interval(twin, args[0])
    if sub == "pfc_stat_history" and has_history(twin) and args[:1] in (["enable"], ["disable"]):
        return _history(twin, args[0], args[1:])
    if sub == "stop":
        ports = args or [k for k in twin.config.table("PFC_WD") if k != "GLOBAL"]
        for port in ports:
            twin.config.delete(f"PFC_WD|{port}")
    elif sub == "big_red_switch" and args[:1] in (["enable"], ["disable"]):
        twin.config.hset("PFC_WD|GLOBAL", {"BIG_RED_SWITCH": args[0]})
    elif sub == "counter_poll" and args[:1] in (["enable"], ["disable"]):
        twin.config.hset("FLEX_COUNTER_TABLE|PFCWD", {"FLEX_COUNTER_STATUS": args[0]})
    elif sub == "start_default":
        start_default(twin)
    else:
        return fail("", f'No such command "{sub}".')
    twin.after_config_write()
    return CommandResult()


def _option(args: list[str], *names: str) -> tuple[str | None, list[str]]:
    for name in names:
        if name in args:
            i = args.index(name)
            if i + 1 < len(args):
                return args[i + 1], args[:i] + args[i + 2 :]
    return None, args


def _invalid_ports(twin: SonicTwin, ports: list[str]) -> CommandResult | None:
    known = set(twin.config.table("PORT"))
    bad = sorted(set(ports) - {"all"} - known)
    if not bad:
        return None
    text = "Failed to run command, invalid options:\n" + "".join(f"{p}\n" for p in bad)
    return CommandResult(stdout=text, exit_code=1)


def _start(twin: SonicTwin, args: list[str]) -> CommandResult:
    action, args = _option(args, "--action", "-a")
    restore, args = _option(args, "--restoration-time", "-r")
    flag = "--pfc-stat-history" in args
    if flag and not has_history(twin):
        return fail("start", "No such option: --pfc-stat-history")
    args = [a for a in args if a != "--pfc-stat-history"]
    if not args or not args[-1].isdigit():
        return fail("start", "Missing argument 'DETECTION_TIME'.")
    detect, ports = args[-1], args[:-1]
    if not 100 <= int(detect) <= 5000:
        return fail("start", f"Invalid value for 'DETECTION_TIME': {detect} is not in the range 100<=x<=5000.")
    if action not in (None, "drop", "forward", "alert"):
        allowed = "'drop', 'forward', 'alert'"
        return fail("start", f"Invalid value for '--action' / '-a': '{action}' is not one of {allowed}.")
    if restore is not None and not (restore.isdigit() and 100 <= int(restore) <= 60000):
        why = f"{restore} is not in the range 100<=x<=60000."
        return fail("start", f"Invalid value for '--restoration-time' / '-r': {why}")
    refused = _invalid_ports(twin, ports)
    if refused is not None:
        return refused
    out = ""
    info = {"detection_time": detect}
    if action is not None:
        info["action"] = action
    if restore is None:
        restore = str(2 * int(detect))
        out += f"restoration time not defined; default to 2 times detection time: {restore} ms\n"
    info["restoration_time"] = restore
    if flag:
        info["pfc_stat_history"] = "enable"
    every = natsorted(twin.config.table("PORT"))
    targets = every if not ports or "all" in ports else [p for p in ports if p in every]
    out += _configure(twin, targets, info)
    twin.after_config_write()
    return CommandResult(stdout=out)


def _configure(twin: SonicTwin, ports: list[str], info: dict[str, str]) -> str:
    """verify_pfc_enable_status_per_port: skip ports without pfc_enable, else replace the row."""
    out = ""
    for port in ports:
        if twin.config.hget(f"PORT_QOS_MAP|{port}", "pfc_enable") is None:
            out += f"SKIPPED: PFC is not enabled on port: {port}\n"
            continue
        if has_history(twin):
            info.setdefault("pfc_stat_history", twin.config.hget(f"PFC_WD|{port}", "pfc_stat_history") or "disable")
        twin.config.set_row(f"PFC_WD|{port}", dict(info))
    return out


def _history(twin: SonicTwin, value: str, ports: list[str]) -> CommandResult:
    refused = _invalid_ports(twin, ports)
    if refused is not None:
        return refused
    every = natsorted(twin.config.table("PORT"))
    out = ""
    for port in every if not ports or "all" in ports else ports:
        if twin.config.hget(f"PORT_QOS_MAP|{port}", "pfc_enable") is None:
            out += f"SKIPPED: PFC is not enabled on port: {port}\n"
            continue
        twin.config.hset(f"PFC_WD|{port}", {"pfc_stat_history": value})
    twin.after_config_write()
    return CommandResult(stdout=out)


def _interval(twin: SonicTwin, value: str) -> CommandResult:
    if not value.isdigit() or not 100 <= int(value) <= MAX_POLL_INTERVAL:
        return fail("interval", f"Invalid value for 'POLL_INTERVAL': {value} is not in the range 100<=x<=1000.")
    smallest, what = MAX_POLL_INTERVAL, ""
    for port, row in twin.config.table("PFC_WD").items():
        if "Ethernet" not in port:
            continue
        for name, label in (("detection_time", "detection time"), ("restoration_time", "restoration time")):
            text = row.get(name, "")
            if text.isdigit() and int(text) < smallest:
                smallest, what = int(text), label
    if smallest < int(value):
        return CommandResult(
            stderr=(
                f"unable to use polling interval = {value}ms, value is bigger than one of the configured {what} "
                "values, please choose a smaller polling_interval\n"
            ),
            exit_code=1,
        )
    twin.config.hset("PFC_WD|GLOBAL", {"POLL_INTERVAL": value})
    twin.after_config_write()
    return CommandResult()


def start_default(twin: SonicTwin) -> None:
    """What `config load_minigraph` runs on first boot (and `pfcwd start_default` by hand)."""
    if (twin.config.hget("DEVICE_METADATA|localhost", "default_pfcwd_status") or "").lower() != "enable":
        return
    ports = [p for p in natsorted(twin.config.table("DEVICE_NEIGHBOR")) if twin.config.exists(f"PORT|{p}")]
    factor = max(1, (len(twin.config.table("PORT")) - 1) // DEFAULT_PORT_NUM + 1)
    timer = str(DEFAULT_TIMER * factor)
    info = {"detection_time": timer, "restoration_time": timer, "action": "drop"}
    if has_history(twin):
        info["pfc_stat_history"] = "disable"
    _configure(twin, ports, info)
    poll = DEFAULT_TIMER * factor
    if has_history(twin):  # the same release added the 1000 ms cap
        poll = min(poll, MAX_POLL_INTERVAL)
    twin.config.hset("PFC_WD|GLOBAL", {"POLL_INTERVAL": str(poll)})
