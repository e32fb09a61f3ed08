"""GCU's `port_config_update_validator` (field_operation_validators.py, 202305 on): PORT speed and FEC.

Read from sonic-utilities' branches (facts, not code): for every non-remove operation of the PORT table
whose JSON text mentions `fec` or `speed`,

* `fec` must be one of STATE_DB `PORT_TABLE|<port> supported_fecs` (comma list); `N/A` there allows none;
  an absent field falls back to DEFAULT_SUPPORTED_FECS_LIST: rs, fc, none on 202305, rs, fc, none, auto
  from 202311 (utilities_common/constants.py);
* `speed` must be an integer and, when STATE_DB `supported_speeds` lists any, one of them (an empty or
  absent list allows every integer);
* the port is the first `Ethernet<digits>` of the path, or the row key for a table-level value;
* fields are checked in the order fec, speed, and the validator reuses one variable for the value it
  checks, so after a fec inside a dict value the speed of that operation is not looked at any more (an
  `add /PORT/Ethernet0 {"fec": .., "speed": ..}` has its fec checked and its speed passed unchecked);
* from 202511 a chassis skips both checks (the twin is never a chassis).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

PORT_V = "generic_config_updater.field_operation_validators.port_config_update_validator"
StateField = Callable[[str, str], str | None]  # (port, field) -> STATE_DB PORT_TABLE value


def default_fecs(release: str) -> tuple[str, ...]:
    return ("rs", "fc", "none") if release == "202305" else ("rs", "fc", "none", "auto")


def _field_ok(field: str, port: str | None, value: Any, state: StateField, release: str) -> bool:
    if field == "fec":
        listed = state(port or "", "supported_fecs")
        allowed = (
            default_fecs(release)
            if not listed
            else ()
            if listed == "N/A"
            else tuple(e.strip() for e in listed.split(","))
        )
        return isinstance(value, str) and value.strip() in allowed
    listed = state(port or "", "supported_speeds") or ""
    try:
        speeds = [int(s) for s in listed.split(",") if s]
        return not speeds or int(value) in speeds
    except (TypeError, ValueError):
        return False


def port_ok(op: dict[str, Any], state: StateField, release: str) -> bool:
    """True when the validator of `release` passes this (make_patch) operation on the PORT table."""
    if op["op"] == "remove":
        return True
    text, path, value = json.dumps(op), str(op["path"]), op.get("value")
    found = re.search(r"Ethernet\d+", path)
    path_port = found.group(0) if found else None
    for field in ("fec", "speed"):
        if field not in text:
            continue
        if path.endswith(field):
            if not _field_ok(field, path_port, value, state, release):
                return False
        elif isinstance(value, dict):
            if field in value:
                value = value[field]
                if not _field_ok(field, path_port, value, state, release):
                    return False
            else:
                rows = value
                for port, row in rows.items():
                    if isinstance(row, dict) and field in row:
                        value = row[field]
                        if not _field_ok(field, str(port), value, state, release):
                            return False
    return True
