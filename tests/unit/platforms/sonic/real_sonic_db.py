"""The real sonic-utilities mock tables, read the way SONiC's own tools read them (test helpers only)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from tests.shared_data import real_sonic

Raw = dict[str, dict[str, str]]


@lru_cache(maxsize=8)
def mock_db(name: str) -> Raw:
    data: Raw = json.loads(real_sonic("mock_tables", f"{name}.json").read_text())
    return data


def cli_text(name: str) -> str:
    return real_sonic("cli", name).read_text()


def raw_config_tables() -> dict[str, dict[str, dict[str, str]]]:
    """CONFIG_DB `TABLE|key` hashes grouped per table, fields as stored in Redis (`field@`, NULL placeholder)."""
    tables: dict[str, dict[str, dict[str, str]]] = {}
    for redis_key, fields in mock_db("config_db").items():
        table, _, key = redis_key.partition("|")
        tables.setdefault(table, {})[key] = dict(fields)
    return tables


def cfggen_print_data() -> dict[str, Any]:
    """What `sonic-cfggen -d --print-data` prints for that content: swss-common raw_to_typed per entry
    ("NULL" dropped, `x@` -> list of "a,b" split at commas), keys serialised back with "|"."""
    out: dict[str, Any] = {}
    for table, entries in raw_config_tables().items():
        typed_entries: dict[str, Any] = {}
        for key, fields in entries.items():
            typed: dict[str, Any] = {}
            for fld, value in fields.items():
                if fld == "NULL":
                    continue
                if fld.endswith("@"):
                    typed[fld[:-1]] = value.split(",")
                else:
                    typed[fld] = value
            typed_entries[key] = typed
        out[table] = typed_entries
    return out


def queue_oid(port: str, index: int) -> str:
    """The queue object with this COUNTERS_QUEUE_INDEX_MAP index on `port` (via the name and port maps)."""
    counters = mock_db("counters_db")
    port_oid = counters["COUNTERS_PORT_NAME_MAP"][port]
    for name, oid in counters["COUNTERS_QUEUE_NAME_MAP"].items():
        on_port = name.startswith(f"{port}:") and counters["COUNTERS_QUEUE_PORT_MAP"].get(oid) == port_oid
        if on_port and int(counters["COUNTERS_QUEUE_INDEX_MAP"][oid]) == index:
            return oid
    raise KeyError(f"{port} queue {index}")


def queue_type(oid: str) -> str:
    return mock_db("counters_db")["COUNTERS_QUEUE_TYPE_MAP"][oid]


def queue_stat(oid: str, stat: str) -> str | None:
    return mock_db("counters_db").get(f"COUNTERS:{oid}", {}).get(stat)
