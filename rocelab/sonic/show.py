"""Output formatting of the sonic-utilities commands, byte for byte.

Formats are the sonic-utilities unit-test golden strings quoted in reference sonic.md §2.2 (tabulate
`simple`, thousands separators, `N/A` for missing values). Functions take plain data and return text, so
they are easy to test against tests/fixtures/sonic/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from tabulate import tabulate

PFC_HEADER = [f"PFC{p}" for p in range(8)]
PFCWD_CONFIG_HEADER = ["PORT", "ACTION", "DETECTION TIME", "RESTORATION TIME", "HISTORY"]
PFCWD_STATS_HEADER = [
    "QUEUE",
    "STATUS",
    "STORM DETECTED/RESTORED",
    "TX OK/DROP",
    "RX OK/DROP",
    "TX LAST OK/DROP",
    "RX LAST OK/DROP",
]
INTF_HEADER = ["Interface", "Lanes", "Speed", "MTU", "FEC", "Alias", "Vlan", "Oper", "Admin", "Type", "Asym PFC"]


def natural_key(text: str) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def natsorted(items: Iterable[str]) -> list[str]:
    return sorted(items, key=natural_key)


def number(value: str | int | None) -> str:
    """pfcstat/queuestat style: `1,200`; missing -> `N/A`."""
    if value is None or value == "":
        return "N/A"
    return f"{int(value):,}"


def pfc_counters(rows: Mapping[str, Mapping[str, str]], cached: str | None = None) -> str:
    """`show pfc counters`: rows maps port -> COUNTERS hash of its port OID (differences when `cached`)."""
    parts = []
    for direction in ("Rx", "Tx"):
        table = [
            [port] + [number(rows[port].get(f"SAI_PORT_STAT_PFC_{p}_{direction.upper()}_PKTS")) for p in range(8)]
            for port in natsorted(rows)
        ]
        parts.append(
            tabulate(
                table, [f"Port {direction}", *PFC_HEADER], tablefmt="simple", stralign="right", disable_numparse=True
            )
        )
    if cached is not None:
        parts = [f"Last cached time was {cached}\n{part}" for part in parts]
    return parts[0] + "\n\n" + parts[1] + "\n"


def pfc_priority(qos_rows: Mapping[str, Mapping[str, str]]) -> str:
    """`show pfc priority`: every PORT_QOS_MAP key (so `global` shows N/A)."""
    table = [[name, qos_rows[name].get("pfc_enable") or "N/A"] for name in natsorted(qos_rows)]
    return "\n" + tabulate(table, ["Interface", "Lossless priorities"], tablefmt="simple") + "\n\n"


def pfc_asymmetric(port_rows: Mapping[str, Mapping[str, str]]) -> str:
    """`show pfc asymmetric`: PORT.pfc_asym per Ethernet port, `N/A` when unset."""
    names = [n for n in natsorted(port_rows) if n.startswith("Ethernet")]
    table = [[name, port_rows[name].get("pfc_asym", "N/A")] for name in names]
    return "\n" + tabulate(table, ["Interface", "Asymmetric"], tablefmt="simple") + "\n\n"


def pfcwd_config(global_row: Mapping[str, str], ports: Mapping[str, Mapping[str, str]]) -> str:
    lines = []
    if "POLL_INTERVAL" in global_row:
        lines.append(f"Changed polling interval to {global_row['POLL_INTERVAL']}ms")
    if "BIG_RED_SWITCH" in global_row:
        lines.append(f"BIG_RED_SWITCH status is {global_row['BIG_RED_SWITCH']}")
    table = [
        [
            port,
            row.get("action", "drop"),
            row.get("detection_time", "N/A"),
            row.get("restoration_time", "infinite"),
            row.get("pfc_stat_history", "disable"),
        ]
        for port, row in ((p, ports[p]) for p in natsorted(ports))
    ]
    lines.append(tabulate(table, PFCWD_CONFIG_HEADER, tablefmt="simple", stralign="right", disable_numparse=True))
    return "\n".join(lines) + "\n"


def pfcwd_stats(queues: Mapping[str, Mapping[str, str]], *, empty: bool) -> str:
    """`pfcwd show stats [-e]`: queues maps `Ethernet0:3` -> its COUNTERS hash with PFC_WD_* fields."""
    table = []
    for name in natsorted(queues):
        row = queues[name]

        def pair(a: str, b: str, row: Mapping[str, str] = row) -> str:
            return f"{row.get(a, '0')}/{row.get(b, '0')}"

        cells = [
            pair("PFC_WD_QUEUE_STATS_DEADLOCK_DETECTED", "PFC_WD_QUEUE_STATS_DEADLOCK_RESTORED"),
            pair("PFC_WD_QUEUE_STATS_TX_PACKETS", "PFC_WD_QUEUE_STATS_TX_DROPPED_PACKETS"),
            pair("PFC_WD_QUEUE_STATS_RX_PACKETS", "PFC_WD_QUEUE_STATS_RX_DROPPED_PACKETS"),
            pair("PFC_WD_QUEUE_STATS_TX_PACKETS_LAST", "PFC_WD_QUEUE_STATS_TX_DROPPED_PACKETS_LAST"),
            pair("PFC_WD_QUEUE_STATS_RX_PACKETS_LAST", "PFC_WD_QUEUE_STATS_RX_DROPPED_PACKETS_LAST"),
        ]
        if not empty and all(c == "0/0" for c in cells):
            continue
        table.append([name, row.get("PFC_WD_STATUS", "N/A"), *cells])
    return tabulate(table, PFCWD_STATS_HEADER, tablefmt="simple", stralign="right", disable_numparse=True) + "\n"


def _block(title: str, row: Mapping[str, str]) -> str:
    """A titled header-less two-column table and a blank line (ecnconfig, mmuconfig, buffershow).

    Plain `tabulate(rows)`: its number parsing right-aligns a column that holds only numbers."""
    body = tabulate([[k, v] for k, v in row.items()])
    return f"{title}\n{body}\n\n"


def ecn_profiles(profiles: Mapping[str, Mapping[str, str]]) -> str:
    """`ecnconfig -l`: one header-less two-column table per WRED profile, fields in hash order."""
    return "".join(_block(f"Profile: {name}", row) for name, row in profiles.items())


def mmu_config(
    lossless: Mapping[str, Mapping[str, str]],
    pools: Mapping[str, Mapping[str, str]],
    profiles: Mapping[str, Mapping[str, str]],
    *,
    verbose: bool = False,
) -> str:
    """`mmuconfig -l` (CONFIG_DB) and `buffershow -l` (STATE_DB): scripts/mmuconfig `list()`."""
    out = "".join(_block("Lossless traffic pattern:", row) for row in lossless.values())
    if pools:
        out += "".join(_block(f"Pool: {name}", row) for name, row in pools.items())
        out += f"Total pools: {len(pools)}\n\n\n" if verbose else ""
    else:
        out += "No buffer pool information available\n"
    if profiles:
        out += "".join(_block(f"Profile: {name}", row) for name, row in profiles.items())
        out += f"Total profiles: {len(profiles)}\n" if verbose else ""
    else:
        out += "No buffer profile information available\n"
    return out


def config_json(data: Mapping[str, object]) -> str:
    """`sonic-cfggen -d --print-data`: sorted, 4-space-indented JSON."""
    return json.dumps(data, indent=4, sort_keys=True) + "\n"
