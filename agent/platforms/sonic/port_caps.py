"""GCU's PORT speed/FEC validator as the agent's pre-flight sees it (port_config_update_validator,
sonic-utilities field_operation_validators.py, in the validator config from 202305).

A speed or FEC the port's ASIC does not list in STATE_DB `PORT_TABLE|<port>` (`supported_speeds`,
`supported_fecs`) is refused by GCU before anything is written; the pre-flight refuses it first, with the
lists in the message. Rules per release (read on the release branches): `supported_fecs: N/A` allows no
FEC; no `supported_fecs` falls back to rs, fc, none (202305) or rs, fc, none, auto (202311 on,
utilities_common/constants.py); no or an empty `supported_speeds` allows any integer speed; 202211 has no
validator. The agent is stricter than GCU in one place: GCU stops looking at `speed` once it has
checked a `fec` inside the same row value; the pre-flight checks both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from agent.platforms.sonic.patch import Operation, path_parts
from agent.platforms.sonic.releases import Release, _at_least

SOURCE = "sonic-utilities:generic_config_updater/field_operation_validators.py port_config_update_validator"


def default_fecs(release: Release) -> tuple[str, ...] | None:
    """The FECs allowed where STATE_DB lists none; None: this release validates no PORT field."""
    if not _at_least(release.name, "202305"):
        return None
    return ("rs", "fc", "none") if release.name == "202305" else ("rs", "fc", "none", "auto")


def _writes(ops: list[Operation]) -> Iterator[tuple[str, str, Any]]:
    """(port, field, value) of every speed/fec an operation sets, whatever its level."""
    for op in ops:
        parts = path_parts(op["path"])
        if op["op"] == "remove" or not parts or parts[0] != "PORT":
            continue
        value = op.get("value")
        if len(parts) == 3:
            rows: dict[str, Any] = {parts[1]: {parts[2]: value}}
        elif len(parts) == 2:
            rows = {parts[1]: value}
        else:
            rows = value if isinstance(value, dict) else {}
        for port, row in rows.items():
            for field in ("fec", "speed"):
                if isinstance(row, Mapping) and field in row:
                    yield str(port), field, row[field]


def refusals(ops: list[Operation], state: Mapping[str, Mapping[str, str]], release: Release) -> list[str]:
    """Why GCU would refuse the PORT speed/FEC writes of `ops` (`state`: STATE_DB `PORT_TABLE|<p>` rows)."""
    fallback = default_fecs(release)
    if fallback is None:
        return []
    out: list[str] = []
    for port, field, value in _writes(ops):
        row = state.get(f"PORT_TABLE|{port}") or {}
        why = _fec_refusal(row, value, fallback) if field == "fec" else _speed_refusal(row, value)
        if why:
            out.append(f"{port}: {why} ({SOURCE})")
    return out


def _fec_refusal(row: Mapping[str, str], value: Any, fallback: tuple[str, ...]) -> str | None:
    listed = row.get("supported_fecs", "")
    allowed = list(fallback) if not listed else [] if listed == "N/A" else [f.strip() for f in listed.split(",")]
    if str(value).strip() in allowed:
        return None
    where = f"STATE_DB supported_fecs {listed!r}" if listed else f"the release's default {', '.join(fallback)}"
    return f"FEC {value!r} is not supported ({where})"


def _speed_refusal(row: Mapping[str, str], value: Any) -> str | None:
    listed = row.get("supported_speeds", "")
    speeds = [s for s in listed.split(",") if s]
    if str(value).isdigit() and (not speeds or str(int(str(value))) in speeds):
        return None
    return f"speed {value!r} is not supported (STATE_DB supported_speeds {listed!r})"
