"""NAPALM standard getters that read SONiC's databases: get_config, get_lldp_neighbors, get_environment.

Where the data lives on SONiC (and so what each getter reads, in one or two round trips):

* config: *running* is CONFIG_DB (`sonic-cfggen -d --print-data`, the same read the agent plans from),
  *startup* is `/etc/sonic/config_db.json`, what `config save` wrote and `config reload` / a reboot
  loads; both as JSON text, the format SONiC itself uses. *candidate* is the driver's loaded candidate.
* LLDP: lldp_syncd writes what lldpd learnt to APPL_DB `LLDP_ENTRY_TABLE:<port>` (fields
  `lldp_rem_sys_name`, `lldp_rem_port_id`, ..., the names sonic-snmpagent's LLDP-MIB reads).
* environment: pmon's daemons write STATE_DB `FAN_INFO|*` (fand), `PSU_INFO|*` (psud) and
  `TEMPERATURE_INFO|*` (thermalctld). sonic-vs runs no pmon and has none of them: NAPALM's documented
  answer for a getter a platform cannot serve is NotImplementedError, so that is what it gets, rather
  than an environment of empty dicts that would read as "no fans, nothing wrong".
"""

from __future__ import annotations

import json
import secrets
import shlex
from typing import Any

from agent.errors import DeviceError
from agent.platforms.base import CommandRunner
from agent.platforms.sonic import parsers
from agent.platforms.sonic.gather import batch_line, read_config_db, split_sections
from agent.platforms.sonic.normalize import port_sort_key

STARTUP_CONFIG = "/etc/sonic/config_db.json"
RETRIEVE = ("all", "running", "startup", "candidate")
LLDP_TABLE = "LLDP_ENTRY_TABLE"
ENV_TABLES = ("FAN_INFO", "PSU_INFO", "TEMPERATURE_INFO")
UNKNOWN = -1.0  # NAPALM's value for a figure the device does not report


def config_json(doc: Any) -> str:
    """The JSON text get_config returns: sorted keys, 4-space indent, as `config save` writes config_db.json."""
    return json.dumps(doc, indent=4, sort_keys=True) + "\n"


def get_config(runner: CommandRunner, retrieve: str, candidate: Any) -> dict[str, str]:
    if retrieve not in RETRIEVE:
        raise ValueError(f"retrieve={retrieve!r}: one of {', '.join(RETRIEVE)}")
    out = {"running": "", "startup": "", "candidate": ""}
    if retrieve in ("all", "running"):
        out["running"] = config_json(read_config_db(runner))
    if retrieve in ("all", "startup"):
        command = f"cat {STARTUP_CONFIG}"
        res = runner.run(command)
        if res.exit_code != 0:
            raise DeviceError(runner.device, command, f"exit {res.exit_code}: {res.output.strip()[-200:]}")
        out["startup"] = config_json(json.loads(res.output)) if res.output.strip() else ""
    if retrieve in ("all", "candidate") and candidate is not None:
        out["candidate"] = config_json(candidate)
    return out


def _keys(runner: CommandRunner, db: str, pattern: str) -> list[str]:
    command = f"sonic-db-cli {db} keys {shlex.quote(pattern)}"
    res = runner.run(command)
    if res.exit_code != 0:
        raise DeviceError(runner.device, command, f"exit {res.exit_code}: {res.output.strip()[-200:]}")
    return parsers.parse_db_keys(res.output)


def _hashes(runner: CommandRunner, db: str, keys: list[str]) -> dict[str, dict[str, str]]:
    """Every key's hash in one round trip (the gather's marker-separated batch)."""
    if not keys:
        return {}
    cmds = [(key, f"sonic-db-cli {db} hgetall {shlex.quote(key)}") for key in keys]
    nonce = secrets.token_hex(4)
    sections = split_sections(runner.device, runner.run(batch_line(cmds, nonce)).output, cmds, nonce)
    return {key: parsers.parse_hgetall(runner.device, cmd, sections[key].output) for key, cmd in cmds}


def lldp_neighbors(runner: CommandRunner) -> dict[str, list[dict[str, str]]]:
    """Local port -> [{hostname, port}] from APPL_DB LLDP_ENTRY_TABLE (ports without a neighbour absent)."""
    entries = _hashes(runner, "APPL_DB", _keys(runner, "APPL_DB", f"{LLDP_TABLE}:*"))
    out: dict[str, list[dict[str, str]]] = {}
    for key in sorted(entries, key=lambda k: port_sort_key(k.split(":", 1)[1])):
        entry = entries[key]
        port = key.split(":", 1)[1]
        remote_port = entry.get("lldp_rem_port_id") or entry.get("lldp_rem_port_desc", "")
        out[port] = [{"hostname": entry.get("lldp_rem_sys_name", ""), "port": remote_port}]
    return out


def _float(value: str | None) -> float:
    try:
        return float(value) if value not in (None, "", "N/A", "None") else UNKNOWN
    except ValueError:
        return UNKNOWN


def _true(value: str | None) -> bool:
    return str(value).lower() == "true"


def environment(runner: CommandRunner) -> dict[str, Any]:
    """fans / power / temperature from pmon's STATE_DB tables, cpu and memory from /proc."""
    keys = [k for table in ENV_TABLES for k in _keys(runner, "STATE_DB", f"{table}|*")]
    if not keys:
        raise NotImplementedError(
            f"{runner.device}: no platform sensors in STATE_DB ({', '.join(ENV_TABLES)}): "
            "this SONiC runs no pmon (sonic-vs does not)"
        )
    rows = _hashes(runner, "STATE_DB", keys)
    env: dict[str, Any] = {"fans": {}, "power": {}, "temperature": {}}
    for key, row in rows.items():
        table, _, name = key.partition("|")
        if table == "FAN_INFO":
            env["fans"][name] = {"status": _true(row.get("presence")) and _true(row.get("status"))}
        elif table == "PSU_INFO":
            status = _true(row.get("presence")) and _true(row.get("status"))
            env["power"][name] = {"status": status, "output": _float(row.get("power")), "capacity": UNKNOWN}
        else:
            env["temperature"][name] = _temperature(row)
    env["cpu"], env["memory"] = _cpu_and_memory(runner)
    return env


def _temperature(row: dict[str, str]) -> dict[str, Any]:
    temp = _float(row.get("temperature"))
    high, critical = _float(row.get("high_threshold")), _float(row.get("critical_high_threshold"))
    return {
        "temperature": temp,
        "is_alert": _true(row.get("warning_status")) or (high != UNKNOWN and temp >= high),
        "is_critical": critical != UNKNOWN and temp >= critical,
    }


def _cpu_and_memory(runner: CommandRunner) -> tuple[dict[int, dict[str, float]], dict[str, int]]:
    """CPU use since boot (the aggregate `cpu` line of /proc/stat) and RAM from /proc/meminfo (kB -> bytes)."""
    cmds = [("stat", "head -n 1 /proc/stat"), ("meminfo", "cat /proc/meminfo")]
    nonce = secrets.token_hex(4)
    sections = split_sections(runner.device, runner.run(batch_line(cmds, nonce)).output, cmds, nonce)
    ticks = [int(v) for v in sections["stat"].output.split()[1:] if v.isdigit()]
    idle = sum(ticks[3:5])  # idle + iowait
    usage = round(100.0 * (sum(ticks) - idle) / sum(ticks), 1) if sum(ticks) else UNKNOWN
    mem: dict[str, int] = {}
    for line in sections["meminfo"].output.splitlines():
        name, _, rest = line.partition(":")
        if rest.split()[:1] and rest.split()[0].isdigit():
            mem[name.strip()] = int(rest.split()[0]) * 1024
    total = mem.get("MemTotal", 0)
    return {0: {"%usage": usage}}, {"available_ram": total, "used_ram": total - mem.get("MemAvailable", total)}
