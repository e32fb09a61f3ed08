"""`ecnconfig -p PROFILE -gmin N ...` and `ecnconfig -q 3,4 [on|off]` (reference sonic.md §2.1).

* `-p`: the profile must already exist ("Invalid WRED profile"); the new values are merged with the profile
  and validated (non-negative integer thresholds, probability 0..100, min <= max per colour), then written
  field by field. Root only.
* `-q`: queues of the ports in DEVICE_NEIGHBOR ("No active ports detected in table 'DEVICE_NEIGHBOR'" when
  there are none); `on` binds the hard-coded `AZURE_LOSSLESS`, `off` removes the binding; without on/off it
  prints `ECN status:` and one `queue N: on|off` line per queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rocelab.twin import CommandResult

if TYPE_CHECKING:
    from rocelab.sonic.twin import SonicTwin

ROOT = "Root privileges required for this operation\n"
FLAGS = {
    "-gmin": "green_min_threshold",
    "-gmax": "green_max_threshold",
    "-ymin": "yellow_min_threshold",
    "-ymax": "yellow_max_threshold",
    "-rmin": "red_min_threshold",
    "-rmax": "red_max_threshold",
    "-gdrop": "green_drop_probability",
    "-ydrop": "yellow_drop_probability",
    "-rdrop": "red_drop_probability",
}


def _error(text: str) -> CommandResult:
    return CommandResult(stderr=f"{text}\n", exit_code=1)


def ecn_profile_set(twin: SonicTwin, args: list[str], sudo: bool) -> CommandResult:
    if not sudo:
        return _error(ROOT.strip())
    name = args[args.index("-p") + 1] if args.index("-p") + 1 < len(args) else ""
    current = twin.config.hgetall(f"WRED_PROFILE|{name}")
    if not current:
        return _error(f"Invalid WRED profile {name}")
    updates: dict[str, str] = {}
    for flag, field in FLAGS.items():
        if flag in args and args.index(flag) + 1 < len(args):
            updates[field] = args[args.index(flag) + 1]
    problem = _check({**current, **updates}, updates)
    if problem:
        return _error(problem)
    for field, value in updates.items():  # mod_entry per field, like the tool
        twin.config.hset(f"WRED_PROFILE|{name}", {field: value})
        twin.after_config_write()
    return CommandResult()


def _check(merged: dict[str, str], updates: dict[str, str]) -> str | None:
    for field, value in updates.items():
        if not value.isdigit():
            return f"Invalid {field}: {value} must be a non-negative integer"
        if field.endswith("probability") and int(value) > 100:
            return f"Invalid {field}: {value} must be in the range 0..100"
    for color in ("green", "yellow", "red"):
        lo, hi = merged.get(f"{color}_min_threshold"), merged.get(f"{color}_max_threshold")
        if lo and hi and lo.isdigit() and hi.isdigit() and int(lo) > int(hi):
            return f"Invalid {color} thresholds: min {lo} is greater than max {hi}"
    return None


def ecn_queue_set(twin: SonicTwin, args: list[str], sudo: bool) -> CommandResult:
    index = args.index("-q")
    raw = args[index + 1] if index + 1 < len(args) else ""
    queues = [q for q in raw.split(",") if q.isdigit()]
    if not queues:
        return _error(f"Invalid queue index {raw}")
    action = args[index + 2] if index + 2 < len(args) and args[index + 2] in ("on", "off") else None
    if action and not sudo:
        return _error(ROOT.strip())
    ports = list(twin.config.table("DEVICE_NEIGHBOR"))
    if not ports:
        return _error("No active ports detected in table 'DEVICE_NEIGHBOR'")
    if action is None:
        lines = ["ECN status:"]
        for q in queues:
            on = all(twin.config.hget(f"QUEUE|{p}|{q}", "wred_profile") for p in ports)
            lines.append(f"queue {q}: {'on' if on else 'off'}")
        return CommandResult(stdout="\n".join(lines) + "\n")
    for port in ports:
        for q in queues:
            key = f"QUEUE|{port}|{q}"
            if action == "on":
                twin.config.hset(key, {"wred_profile": "AZURE_LOSSLESS"})
            else:
                twin.config.hdel(key, ["wred_profile"])
    twin.after_config_write()
    return CommandResult()
