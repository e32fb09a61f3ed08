"""`show ...`, `pfcwd ...`, `ecnconfig ...` and `sonic-clear ...`: the show side needs no root."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from rocelab.sonic import intf, show, stats
from rocelab.sonic.cli_stats import (
    SHOW_QUEUE_WATERMARK,
    SHOW_WATERMARK,
    clear_command,
    show_queue_counters,
    show_watermark,
    wall_time,
    watermark_script,
)
from rocelab.sonic.counters import port_oid, queue_oid
from rocelab.sonic.db import HashDb
from rocelab.sonic.ecn import ecn_profile_set, ecn_queue_set
from rocelab.sonic.qosview import TICK_MS
from rocelab.sonic.version import show_version
from rocelab.sonic.watchdog import timer_ticks
from rocelab.twin import CommandResult

if TYPE_CHECKING:
    from rocelab.sonic.twin import SonicTwin


def _usage(cmd: str, message: str) -> CommandResult:
    return CommandResult(
        stderr=f'Usage: {cmd} [OPTIONS] COMMAND [ARGS]...\nTry "{cmd} -h" for help.\n\nError: {message}\n',
        exit_code=2,
    )


ShowHandler = Callable[["SonicTwin", list[str]], CommandResult]


def _show_table() -> dict[tuple[str, ...], ShowHandler]:
    """`show` subcommand prefix -> handler(twin, remaining args)."""
    return {
        ("pfc", "counters"): lambda t, a: pfcstat(t, ["-s", "all"]),
        ("pfc", "priority"): _pfc_priority,
        ("pfc", "asymmetric"): _pfc_asymmetric,
        ("queue", "counters"): lambda t, a: show_queue_counters(t, a, "queue"),
        ("queue", "wredcounters"): lambda t, a: show_queue_counters(t, a, "wred"),
        ("queue", "watermark"): lambda t, a: show_watermark(t, a, SHOW_QUEUE_WATERMARK, persistent=False),
        ("queue", "persistent-watermark"): lambda t, a: show_watermark(t, a, SHOW_QUEUE_WATERMARK, persistent=True),
        ("priority-group", "watermark"): lambda t, a: show_watermark(t, a, SHOW_WATERMARK, persistent=False),
        ("priority-group", "persistent-watermark"): lambda t, a: show_watermark(t, a, SHOW_WATERMARK, persistent=True),
        ("buffer_pool", "watermark"): lambda t, a: watermark_script(t, ["-t", "buffer_pool"]),
        ("buffer_pool", "persistent-watermark"): lambda t, a: watermark_script(t, ["-p", "-t", "buffer_pool"]),
        ("headroom-pool", "watermark"): lambda t, a: watermark_script(t, ["-t", "headroom_pool"]),
        ("headroom-pool", "persistent-watermark"): lambda t, a: watermark_script(t, ["-p", "-t", "headroom_pool"]),
        ("interfaces", "status"): interfaces_status,
        ("pfcwd",): lambda t, a: run_pfcwd(t, ["pfcwd", "show", *a], sudo=False),
        ("ecn",): lambda t, a: CommandResult(stdout=show.ecn_profiles(t.config.table("WRED_PROFILE"))),
        ("mmu",): lambda t, a: mmu_config(t, a),
        ("buffer", "configuration"): lambda t, a: mmu_config(t, a),
        ("buffer", "information"): lambda t, a: mmu_config(t, a, state=True),
        ("runningconfiguration", "all"): lambda t, a: _running_config(t),
        ("version",): lambda t, a: CommandResult(stdout=_version(t, a)),
        ("logging",): lambda t, a: CommandResult(stdout=_logging(t)),
    }


def run_show(twin: SonicTwin, argv: list[str]) -> CommandResult:
    args = argv[1:]
    for prefix, handler in _show_table().items():
        if tuple(args[: len(prefix)]) == prefix:
            return handler(twin, args[len(prefix) :])
    return _usage("show", f'No such command "{args[0] if args else ""}".')


def _pfc_asymmetric(twin: SonicTwin, args: list[str]) -> CommandResult:
    rows = twin.config.table("PORT")
    return CommandResult(stdout=show.pfc_asymmetric({k: v for k, v in rows.items() if not args or k in args}))


BOOT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _logging(twin: SonicTwin) -> str:
    """`show logging`: daemon messages with syslog timestamps on the logical clock (tick = TICK_MS)."""
    lines = list(twin.syslog) + _watchdog_log(twin)
    out = []
    for tick, text in sorted(lines, key=lambda item: item[0]):
        stamp = (BOOT + timedelta(milliseconds=tick * TICK_MS)).strftime("%b %d %H:%M:%S.%f")
        out.append(f"{stamp} {twin.hostname} {text}\n")
    return "".join(out)


def _watchdog_log(twin: SonicTwin) -> list[tuple[int, str]]:
    """orchagent's storm/restore lines (reference sonic.md §1.6), derived from the watchdog's history."""
    wd_model = twin.traffic.watchdog
    out: list[tuple[int, str]] = []
    for (port, queue), runs in wd_model.storms.items():
        wd = wd_model.watched(twin.config, port, queue)
        index = twin.counters.port_index(port)
        if wd is None or index is None:
            continue
        detect, restore = timer_ticks(wd)
        ids = f"queue id 0x{queue_oid(index, queue)[6:]} and port id 0x{port_oid(index)[6:]}"
        for run in runs:
            hit = run.start + detect
            if hit > twin.clock or (run.end is not None and run.end < hit):
                continue
            msg = (
                f"NOTICE swss#orchagent: :- PFC Watchdog detected PFC storm on port {port}, queue index {queue}, {ids}"
            )
            out.append((hit, msg))
            if run.end is not None and run.end + restore <= twin.clock:
                msg = (
                    f"NOTICE swss#orchagent: :- PFC Watchdog storm restored on port {port}, queue index {queue}, {ids}"
                )
                out.append((run.end + restore, msg))
    return out


PFC_FIELDS = {f"{d}{p}": f"SAI_PORT_STAT_PFC_{p}_{d.upper()}_PKTS" for d in ("rx", "tx") for p in range(8)}


def _port_counters(twin: SonicTwin) -> dict[str, dict[str, str]]:
    """Each port's PFC counters, as differences against the `sonic-clear pfccounters` baseline if any."""
    names = twin.counters.hgetall("COUNTERS_PORT_NAME_MAP")
    baseline = twin.counter_snapshots.get("pfc")
    out = {}
    for port, oid in names.items():
        row = twin.counters.hgetall(f"COUNTERS:{oid}")
        old = baseline.values.get(oid) if baseline else None
        if old is not None:
            row = {k: str(max(0, int(v) - int(old.get(k, "0")))) if v.isdigit() else v for k, v in row.items()}
        out[port] = row
    return out


def pfcstat(twin: SonicTwin, args: list[str]) -> CommandResult:
    """`pfcstat [-s all] [-c] [-d]`: Rx and Tx tables; against a baseline each follows its cached time."""
    if "-d" in args:
        twin.counter_snapshots.pop("pfc", None)
    if "-c" in args:
        oids = list(twin.counters.hgetall("COUNTERS_PORT_NAME_MAP").values())
        twin.counter_snapshots["pfc"] = stats.snapshot(twin.counters, oids, PFC_FIELDS, wall_time(twin))
        return CommandResult(stdout="Clear saved PFC counters and history\n")
    baseline = twin.counter_snapshots.get("pfc")
    return CommandResult(stdout=show.pfc_counters(_port_counters(twin), cached=baseline.time if baseline else None))


def run_sonic_clear(twin: SonicTwin, argv: list[str]) -> CommandResult:
    """`sonic-clear pfccounters|queuecounters|queue wredcounters|... watermark ...` (clear/main.py)."""
    if argv[1:2] == ["pfccounters"]:
        return pfcstat(twin, ["-c"])
    result = clear_command(twin, argv[1:])
    if result is None:
        return _usage("sonic-clear", f'No such command "{argv[1] if len(argv) > 1 else ""}".')
    return result


def _pfc_priority(twin: SonicTwin, args: list[str]) -> CommandResult:
    rows = twin.config.table("PORT_QOS_MAP")
    if args:
        if args[0] not in rows:
            return CommandResult(stdout=f"Cannot find interface {args[0]}\n", exit_code=0)
        rows = {args[0]: rows[args[0]]}
    return CommandResult(stdout=show.pfc_priority(rows))


def run_pfc(twin: SonicTwin, argv: list[str]) -> CommandResult:
    """`pfc show priority|asymmetric [PORT]` (what `show pfc priority|asymmetric` runs)."""
    args = argv[1:]
    if args[:2] == ["show", "priority"]:
        return _pfc_priority(twin, args[2:])
    if args[:2] == ["show", "asymmetric"]:
        return _pfc_asymmetric(twin, args[2:])
    return _usage("pfc", f'No such command "{" ".join(args[:2])}".')


def interfaces_status(twin: SonicTwin, args: list[str]) -> CommandResult:
    """`show interfaces status [NAME|RANGE]`, i.e. `intfutil -c status [-i NAME]`."""
    names = [a for a in args if not a.startswith("-")]
    try:
        text = intf.interfaces_status(intf.Dbs(twin.config, twin.appl, twin.state), names[0] if names else None)
    except intf.FilterError as exc:
        return CommandResult(stderr=f"Error: {exc}\n", exit_code=1)
    return CommandResult(stdout=text)


def intfutil(twin: SonicTwin, argv: list[str]) -> CommandResult:
    args = argv[1:]
    if args[:2] != ["-c", "status"]:
        return CommandResult(stderr="intfutil: only -c status [-i NAME] is available here\n", exit_code=1)
    name = args[args.index("-i") + 1 : args.index("-i") + 2] if "-i" in args else []
    return interfaces_status(twin, name)


def _running_config(twin: SonicTwin) -> CommandResult:
    data: dict[str, object] = json.loads(show.config_json(twin.config.typed_json()))
    data["bgpraw"] = (
        "Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.5.4\n"
        f"frr defaults traditional\nhostname {twin.hostname}\nlog syslog informational\n!\nend\n"
    )
    return CommandResult(stdout=json.dumps(data, indent=4) + "\n")


def _version(twin: SonicTwin, args: list[str]) -> str:
    """Release from sonic_version.yml (twin.sonic_version), HwSKU as device_info reads it: DEVICE_METADATA."""
    now = BOOT.replace(tzinfo=None) + timedelta(milliseconds=twin.clock * TICK_MS)
    release = replace(twin.release, build_version=twin.sonic_version.removeprefix("SONiC."))
    hwsku = twin.config.hget("DEVICE_METADATA|localhost", "hwsku") or twin.sku.hwsku
    return show_version(
        release,
        twin.sku.platform,
        hwsku,
        twin.asic_type,
        booted=BOOT.replace(tzinfo=None),
        now=now,
        brief="--brief" in args or "-b" in args,
    )


def run_pfcwd(twin: SonicTwin, argv: list[str], sudo: bool) -> CommandResult:
    args = argv[1:]
    if args[:2] == ["show", "config"]:
        rows = twin.config.table("PFC_WD")
        glob = rows.pop("GLOBAL", {})
        return CommandResult(stdout=show.pfcwd_config(glob, rows))
    if args[:2] == ["show", "stats"]:
        queues = _wd_queues(twin)
        text = show.pfcwd_stats(queues, empty="-e" in args or "--empty" in args)
        stormed = any(row.get("PFC_WD_STATUS") == "stormed" for row in queues.values())
        return CommandResult(stdout=text, exit_code=1 if "--check-storm" in args and stormed else 0)
    if args[:1] in (["start"], ["stop"], ["interval"], ["start_default"], ["counter_poll"], ["big_red_switch"]):
        from rocelab.sonic.cli_config import run_config  # same code path as `config pfcwd ...`

        return run_config(twin, ["config", "pfcwd", *args], sudo=sudo)
    return _usage("pfcwd", f'No such command "{args[0] if args else ""}".')


def _wd_queues(twin: SonicTwin) -> dict[str, dict[str, str]]:
    names = twin.counters.hgetall("COUNTERS_QUEUE_NAME_MAP")
    out = {}
    for name, oid in names.items():
        row = twin.counters.hgetall(f"COUNTERS:{oid}")
        if "PFC_WD_STATUS" in row:
            out[name] = row
    return out


def mmu_config(twin: SonicTwin, args: list[str], *, state: bool = False) -> CommandResult:
    """`mmuconfig -l` reads CONFIG_DB; the same program run as `buffershow -l` reads STATE_DB."""
    db: HashDb = twin.state if state else twin.config
    tables = [db.table(name) for name in ("DEFAULT_LOSSLESS_BUFFER_PARAMETER", "BUFFER_POOL", "BUFFER_PROFILE")]
    if state:
        tables = [
            db.table(name)
            for name in ("DEFAULT_LOSSLESS_BUFFER_PARAMETER", "BUFFER_POOL_TABLE", "BUFFER_PROFILE_TABLE")
        ]
    return CommandResult(stdout=show.mmu_config(*tables, verbose="-vv" in args))


def run_ecnconfig(twin: SonicTwin, argv: list[str], sudo: bool) -> CommandResult:
    args = argv[1:]
    if args[:1] == ["-l"] or args[:1] == ["--list"]:
        out = show.ecn_profiles(twin.config.table("WRED_PROFILE"))
        if "-vv" in args:
            out += f"Total profiles: {len(twin.config.table('WRED_PROFILE'))}\n"
        return CommandResult(stdout=out)
    if "-q" in args:
        return ecn_queue_set(twin, args, sudo)
    if "-p" in args:
        return ecn_profile_set(twin, args, sudo)
    return CommandResult(stderr="ecnconfig: use -l, -p PROFILE [-gmin N ...] or -q QUEUES [on|off]\n", exit_code=1)
