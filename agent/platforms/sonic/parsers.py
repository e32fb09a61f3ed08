"""Parsers for the SONiC CLI outputs the gather reads (formats: reference sonic.md 2.2).

Every parser raises ParseError naming the device and the command when the text does not have the
expected shape; "not available on this release" answers are reported separately (Unavailable) so the
caller can record a partial read instead of inventing a default.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from agent.errors import ParseError

_UNAVAILABLE = re.compile(r"(No such command|command not found|Error: No such option|not supported)", re.I)
# _UNAVAILABLE's phrases in lower case: on ASCII text (every real table) a substring test of the lowered
# text finds exactly what the case-insensitive regex finds, ~20x cheaper on a 30 KB counter table
_UNAVAILABLE_LOWER = ("no such command", "command not found", "error: no such option", "not supported")
_INTEGER = re.compile(r"-?\d+")
_SEPARATOR = re.compile(r"\s*-+(\s+-+)*\s*")
_DASHES = re.compile(r"-+")


#: queuestat/wredstat name a queue by its COUNTERS_QUEUE_TYPE_MAP type and COUNTERS_QUEUE_INDEX_MAP index:
#: UC3 (SAI_QUEUE_TYPE_UNICAST), MC13 (MULTICAST), ALL3 (SAI_QUEUE_TYPE_ALL: platforms whose queues carry
#: both). Unicast and ALL queues are the ones TC_TO_QUEUE_MAP sends RoCE to; multicast ones are not.
DATA_QUEUE_TYPES = ("UC", "ALL")


def data_queue_index(name: str) -> int | None:
    """ "UC3" / "ALL3" -> 3; "MC13", "VOQ..." and anything else -> None (not a queue the checks read)."""
    for prefix in DATA_QUEUE_TYPES:
        if name.startswith(prefix) and name[len(prefix) :].isdecimal():
            return int(name[len(prefix) :])
    return None


class Unavailable(Exception):
    """The command does not exist on this SONiC release (e.g. `show queue wredcounters` <= 202411)."""


def check_available(text: str) -> None:
    lowered = text.lower() if text.isascii() else None
    if lowered is not None and not any(phrase in lowered for phrase in _UNAVAILABLE_LOWER):
        return
    if _UNAVAILABLE.search(text):
        raise Unavailable(text.strip().splitlines()[-1] if text.strip() else "unavailable")


def to_int(device: str, command: str, text: str) -> int | None:
    """`1,200` -> 1200; `N/A` -> None; anything else is a ParseError."""
    value = text.strip().replace(",", "")
    if value in ("N/A", ""):
        return None
    if value.isdecimal():  # the common case, without the regex (isdecimal is exactly what \d matches)
        return int(value)
    if not _INTEGER.fullmatch(value):
        raise ParseError(device, command, f"expected a number, got {text.strip()!r}")
    return int(value)


def simple_tables(device: str, command: str, text: str) -> list[tuple[str | None, list[dict[str, str]]]]:
    """Parse python-tabulate "simple" tables: (title line or None, rows keyed by header).

    Columns are cut at the dash runs of the separator line, so values with spaces stay whole.
    """
    lines = text.splitlines()
    tables: list[tuple[str | None, list[dict[str, str]]]] = []
    i = 0
    while i < len(lines):
        if i > 0 and _SEPARATOR.fullmatch(lines[i]) and lines[i - 1].strip():
            spans = _column_spans([m.start() for m in _DASHES.finditer(lines[i])])
            header = _cut(lines[i - 1], spans)
            title = lines[i - 2].strip() if i >= 2 and lines[i - 2].strip() else None
            rows: list[dict[str, str]] = []
            i += 1
            while i < len(lines) and lines[i].strip():
                rows.append(dict(zip(header, _cut(lines[i], spans), strict=True)))
                i += 1
            tables.append((title, rows))
        i += 1
    if not tables and text.strip():
        raise ParseError(device, command, f"no table found in output: {text.strip()[:120]!r}")
    return tables


def _column_spans(starts: list[int]) -> list[tuple[int, int | None]]:
    """A column runs from its dash run's start to the next one's (the last one to the end of the line)."""
    return [(start, starts[n + 1] if n + 1 < len(starts) else None) for n, start in enumerate(starts)]


def _cut(line: str, spans: list[tuple[int, int | None]]) -> list[str]:
    return [line[start:stop].strip() for start, stop in spans]  # past the line's end a slice is ""


def parse_interfaces_status(device: str, command: str, text: str) -> dict[str, dict[str, str]]:
    tables = simple_tables(device, command, text)
    if not tables:
        return {}
    rows = tables[0][1]
    if rows and "Interface" not in rows[0]:
        raise ParseError(device, command, "no 'Interface' column")
    return {r["Interface"]: r for r in rows}


def parse_pfc_counters(device: str, command: str, text: str) -> dict[str, dict[str, dict[int, int]]]:
    """`show pfc counters` -> {"rx"|"tx": {port: {prio: frames}}}."""
    out: dict[str, dict[str, dict[int, int]]] = {"rx": {}, "tx": {}}
    for _title, rows in simple_tables(device, command, text):
        for row in rows:
            port_col = next((c for c in row if c.startswith("Port ")), None)
            if port_col is None or port_col.split()[1].lower() not in out:
                raise ParseError(device, command, f"unexpected header {list(row)}")
            per_prio: dict[int, int] = {}
            for prio in range(8):
                value = to_int(device, command, row.get(f"PFC{prio}", "N/A"))
                if value is not None:
                    per_prio[prio] = value
            out[port_col.split()[1].lower()][row[port_col]] = per_prio
    return out


def parse_queue_counters_json(device: str, command: str, text: str) -> dict[str, dict[int, dict[str, int]]]:
    """`show queue counters --json` -> {port: {queue: {totalpacket, droppacket, ...}}} (UC and ALL queues)."""
    start = text.find("{")
    try:
        doc = json.loads(text[start:]) if start >= 0 else {}
    except json.JSONDecodeError as exc:
        raise ParseError(device, command, f"not JSON: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise ParseError(device, command, "expected a JSON object")
    out: dict[str, dict[int, dict[str, int]]] = {}
    for port, queues in doc.items():
        for qname, stats in (queues or {}).items():
            index = data_queue_index(str(qname))
            if index is None or not isinstance(stats, dict):
                continue  # multicast queues, and the per-port "time" stamp of newer releases
            values = {k: to_int(device, command, str(v)) for k, v in stats.items()}
            out.setdefault(port, {})[index] = {k: v for k, v in values.items() if v is not None}
    return out


def parse_wred_counters(device: str, command: str, text: str) -> dict[str, dict[int, int]]:
    """`show queue wredcounters` -> {port: {queue: ECN-marked packets}} (UC and ALL queues)."""
    check_available(text)
    out: dict[str, dict[int, int]] = {}
    for _title, rows in simple_tables(device, command, text):
        for row in rows:
            if "EcnMarked/pkts" not in row or "TxQ" not in row:
                raise ParseError(device, command, f"unexpected header {list(row)}")
            index = data_queue_index(row["TxQ"])
            if index is None:
                continue
            value = to_int(device, command, row["EcnMarked/pkts"])
            if value is not None:
                out.setdefault(row["Port"], {})[index] = value
    return out


def parse_pfcwd_stats(device: str, command: str, text: str) -> dict[str, dict[int, tuple[str, int | None]]]:
    """`pfcwd show stats -e` -> {port: {queue: (status, storms detected)}}."""
    out: dict[str, dict[int, tuple[str, int | None]]] = {}
    for _title, rows in simple_tables(device, command, text):
        for row in rows:
            if "QUEUE" not in row or "STATUS" not in row:
                raise ParseError(device, command, f"unexpected header {list(row)}")
            port, _, queue = row["QUEUE"].rpartition(":")
            if not port or not queue.isdigit():
                raise ParseError(device, command, f"bad queue name {row['QUEUE']!r}")
            detected = row.get("STORM DETECTED/RESTORED", "N/A").split("/")[0]
            out.setdefault(port, {})[int(queue)] = (row["STATUS"], to_int(device, command, detected))
    return out


def parse_pg_watermark(device: str, command: str, text: str) -> dict[str, dict[int, int]]:
    """`show priority-group watermark headroom` -> {port: {pg: bytes}}."""
    out: dict[str, dict[int, int]] = {}
    for _title, rows in simple_tables(device, command, text):
        for row in rows:
            if "Port" not in row:
                raise ParseError(device, command, f"unexpected header {list(row)}")
            for col, value in row.items():
                if col.startswith("PG") and col[2:].isdigit():
                    number = to_int(device, command, value)
                    if number is not None:
                        out.setdefault(row["Port"], {})[int(col[2:])] = number
    return out


def parse_show_version(device: str, command: str, text: str) -> dict[str, str]:
    """`show version`: "Key: value" lines (SONiC Software Version, HwSKU, Serial Number ...)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith(" "):
            out.setdefault(key.strip(), value.strip())
    if "SONiC Software Version" not in out:
        raise ParseError(device, command, f"no 'SONiC Software Version' line in {text.strip()[:120]!r}")
    return out


def parse_db_keys(text: str) -> list[str]:
    """`sonic-db-cli DB keys PATTERN`: one key per line, nothing when empty."""
    return sorted(line.strip() for line in text.splitlines() if line.strip())


def parse_hgetall(device: str, command: str, text: str) -> dict[str, str]:
    """`sonic-db-cli DB hgetall KEY` prints a Python dict literal (`{}` when the key is absent)."""
    body = text.strip()
    try:
        value: Any = ast.literal_eval(body) if body else None
    except (ValueError, SyntaxError):
        value = None
    if not isinstance(value, dict):
        raise ParseError(device, command, f"expected a {{field: value}} dict, got {body[:120]!r}")
    return {str(k): str(v) for k, v in value.items()}
