"""Getter bodies of the NAPALM driver: NAPALM's standard shapes plus the lossless custom getters.

The custom getters return plain, string-friendly dicts so that ``napalm_validate`` files can target
them, e.g. ``- get_lossless_config: {Ethernet0: {pfc_enable: "^3$", trust: dscp}}``.
"""

from __future__ import annotations

from typing import Any

from agent.platforms.base import CommandRunner
from agent.platforms.sonic import parsers
from agent.platforms.sonic.gather import read_config_db
from agent.platforms.sonic.normalize import port_sort_key
from agent.state import DeviceState

VERSION_COMMAND = "show version"


def facts(runner: CommandRunner) -> dict[str, Any]:
    cfg = read_config_db(runner)
    meta = (cfg.get("DEVICE_METADATA") or {}).get("localhost", {})
    res = runner.run(VERSION_COMMAND)
    version = parsers.parse_show_version(runner.device, VERSION_COMMAND, res.output)
    serial = version.get("Serial Number", "")
    hostname = str(meta.get("hostname", runner.device))
    return {
        "uptime": -1.0,
        "vendor": "SONiC",
        "os_version": version["SONiC Software Version"],
        "serial_number": "" if serial == "N/A" else serial,
        "model": version.get("HwSKU") or str(meta.get("hwsku", "")),
        "hostname": hostname,
        "fqdn": hostname,
        "interface_list": sorted(cfg.get("PORT") or {}, key=port_sort_key),
    }


def interfaces(runner: CommandRunner) -> dict[str, Any]:
    cfg = read_config_db(runner)
    command = "show interfaces status"
    res = runner.run(command)
    status = parsers.parse_interfaces_status(runner.device, command, res.output)
    out: dict[str, Any] = {}
    for name, port in sorted((cfg.get("PORT") or {}).items(), key=lambda kv: port_sort_key(kv[0])):
        row = status.get(name, {})
        out[name] = {
            "is_up": row.get("Oper") == "up",
            "is_enabled": port.get("admin_status", "down") == "up",
            "description": str(port.get("description", "")),
            "last_flapped": -1.0,
            "speed": float(port.get("speed", 0) or 0),
            "mtu": int(port.get("mtu", 9100)),
            "mac_address": str(port.get("mac", "")),
        }
    return out


def lossless_config(state: DeviceState) -> dict[str, Any]:
    """Per port: trust, pfc_enable (as SONiC writes it), PGs (configured and programmed), ECN, watchdog."""
    out: dict[str, Any] = {}
    for name, port in state.ports.items():
        out[name] = {
            "trust": port.trust.value if port.trust else None,
            "pfc_enable": ",".join(str(p) for p in port.lossless_priorities),
            "dscp_to_tc": {str(k): v for k, v in port.dscp_to_priority.items()},
            "tc_to_pg": {str(k): v for k, v in port.priority_to_pg.items()},
            "tc_to_queue": {str(k): v for k, v in port.priority_to_queue.items()},
            "mtu": port.mtu,
            "cable_m": port.cable_m,
            "priority_groups": {
                g.key: {
                    "configured_profile": g.configured_profile,
                    "programmed_profile": g.programmed.name if g.programmed else None,
                    "xoff": g.programmed.xoff if g.programmed else None,
                }
                for g in port.priority_groups
            },
            "ecn": {
                str(q): {"enabled": qs.ecn.enabled, "min": qs.ecn.min_threshold, "max": qs.ecn.max_threshold}
                for q, qs in port.queues.items()
                if qs.ecn is not None
            },
            "watchdog": port.watchdog.model_dump() if port.watchdog else None,
        }
    return out


def pfc_counters(state: DeviceState) -> dict[str, Any]:
    return {
        name: {
            "rx": {str(p): n for p, n in port.counters.pfc_rx.items()},
            "tx": {str(p): n for p, n in port.counters.pfc_tx.items()},
        }
        for name, port in state.ports.items()
        if port.counters is not None
    }
