"""`show interfaces status` (intfutil -c status) from APPL_DB, STATE_DB and CONFIG_DB, as sonic-utilities does.

Facts from sonic-utilities scripts/intfutil and utilities_common/intf_filter.py (read, not copied):
* rows are the APPL_DB `PORT_TABLE:*` keys whose name is a CONFIG_DB PORT; Lanes, MTU, FEC, Alias, Oper,
  Admin and Asym PFC are that APPL_DB row's fields, `N/A` when absent;
* Speed is STATE_DB `PORT_TABLE|<port>` speed when the port is oper up, else the APPL_DB speed, printed as
  `<n>M` below 1000 Mb/s, `<n/1000>G`, or with one decimal when the remainder is >= 100 (`2.5G`);
* Vlan is the PortChannel the port is a member of, else PORT `mode`, else `trunk` for a VLAN_MEMBER, else
  `routed`; Type is STATE_DB `TRANSCEIVER_INFO|<port>` type, else `N/A`;
* every PortChannel of PORTCHANNEL_MEMBER gets a row from APPL_DB `LAG_TABLE` (speed: the sum of its
  members, MTU: CONFIG_DB PORTCHANNEL mtu, empty when unset);
* `-i` takes `Ethernet0`, `Ethernet0,Ethernet4` or ranges `Ethernet0-8`; the table is natsorted and printed by
  tabulate `simple`, `stralign='right'`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tabulate import tabulate

from rocelab.sonic.db import HashDb
from rocelab.sonic.show import INTF_HEADER, natural_key

NA = "N/A"


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class Dbs:
    config: HashDb
    appl: HashDb
    state: HashDb


def speed_text(mbps: str, optics: str = NA) -> str:
    speed = int(mbps)
    if speed < 1000 or (optics == "RJ45" and speed <= 1000):
        return f"{speed}M"
    if speed % 1000 >= 100:
        return f"{speed / 1000:.1f}G"
    return f"{speed / 1000:.0f}G"


def parse_filter(text: str | None) -> list[str] | None:
    """`Ethernet0,Ethernet8-12` -> names; None: no filter. Ranges exist for Ethernet and PortChannel."""
    if text is None:
        return None
    names: list[str] = []
    for part in text.split(","):
        if "-" not in part:
            names.append(part)
            continue
        prefix = next((p for p in ("Ethernet", "PortChannel") if part.startswith(p)), None)
        if prefix is None:
            raise FilterError(f"Invalid interface range '{part}'. A range must start with 'Ethernet' or 'PortChannel'.")
        start, _, end = part.removeprefix(prefix).partition("-")
        if not start.isdigit() or not end.isdigit():
            raise FilterError(f"Invalid interface range '{part}'. Expected a range like '{prefix}0-3'.")
        if int(start) > int(end):
            raise FilterError(
                f"Invalid interface range '{part}'. The start of the range must not be greater than the end."
            )
        names += [f"{prefix}{i}" for i in range(int(start), int(end) + 1)]
    return names


def _raw_speed(dbs: Dbs, port: str) -> str | None:
    oper = dbs.appl.hget(f"PORT_TABLE:{port}", "oper_status")
    speed = dbs.state.hget(f"PORT_TABLE|{port}", "speed")
    if speed is None or speed == NA or oper != "up":
        speed = dbs.appl.hget(f"PORT_TABLE:{port}", "speed")
    return speed


def _optics(dbs: Dbs, port: str) -> str:
    """The transceiver type; a port whose APPL_DB role is `Dpc` connects a DPU and has none."""
    found = dbs.state.hget(f"TRANSCEIVER_INFO|{port}", "type")
    if found is not None:
        return found
    return "DPU-NPU Data Port" if dbs.appl.hget(f"PORT_TABLE:{port}", "role") == "Dpc" else NA


def _members(config: HashDb) -> dict[str, list[str]]:
    """PortChannel -> member ports, from the PORTCHANNEL_MEMBER keys."""
    out: dict[str, list[str]] = {}
    for key in config.table("PORTCHANNEL_MEMBER"):
        lag, _, port = key.partition("|")
        out.setdefault(lag, []).append(port)
    return out


def _mode(config: HashDb, table: str, name: str, vlan_members: set[str]) -> str:
    mode = config.hget(f"{table}|{name}", "mode")
    return mode if mode is not None else "trunk" if name in vlan_members else "routed"


def _lag_speed(dbs: Dbs, members: list[str]) -> str:
    if len(members) == 1:
        raw = _raw_speed(dbs, members[0])
        return NA if raw is None else speed_text(raw, _optics(dbs, members[0]))
    return speed_text(str(sum(int(_raw_speed(dbs, m) or 0) for m in members)), _optics(dbs, members[-1]))


def status_rows(dbs: Dbs, wanted: list[str] | None) -> list[list[str | None]]:
    ports = set(dbs.config.table("PORT"))
    vlan_members = {key.partition("|")[2] for key in dbs.config.table("VLAN_MEMBER")}
    lags = _members(dbs.config)
    port_lag = {port: lag for lag, members in lags.items() for port in members}
    rows: list[list[str | None]] = []
    for key in dbs.appl.keys("PORT_TABLE:*"):
        name = key.partition(":")[2]
        if name not in ports or (wanted is not None and name not in wanted):
            continue
        row = dbs.appl.hgetall(key)
        raw, optics = _raw_speed(dbs, name), _optics(dbs, name)
        rows.append(
            [
                name,
                row.get("lanes", NA),
                NA if raw is None else speed_text(raw, optics),
                row.get("mtu", NA),
                row.get("fec", NA),
                row.get("alias", NA),
                port_lag.get(name) or _mode(dbs.config, "PORT", name, vlan_members),
                row.get("oper_status", NA),
                row.get("admin_status", NA),
                optics,
                row.get("pfc_asym", NA),
            ]
        )
    for lag, members in lags.items():
        if wanted is not None and lag not in wanted:
            continue
        lag_row = dbs.appl.hgetall(f"LAG_TABLE:{lag}")
        vlan = _mode(dbs.config, "PORTCHANNEL", lag, vlan_members)
        mtu = dbs.config.hget(f"PORTCHANNEL|{lag}", "mtu")
        rows.append(
            [
                lag,
                lag_row.get("lanes", NA),
                _lag_speed(dbs, members),
                mtu,
                lag_row.get("fec", NA),
                lag_row.get("alias", NA),
                vlan,
                lag_row.get("oper_status", NA),
                lag_row.get("admin_status", NA),
                lag_row.get("type", NA),
                lag_row.get("pfc_asym", NA),
            ]
        )
    return rows


def interfaces_status(dbs: Dbs, interface: str | None) -> str:
    """The whole `intfutil -c status [-i NAME]` output (raises FilterError on a bad range)."""
    rows = sorted(status_rows(dbs, parse_filter(interface)), key=lambda r: [natural_key(str(c)) for c in r])
    return str(tabulate(rows, INTF_HEADER, tablefmt="simple", stralign="right")) + "\n"
