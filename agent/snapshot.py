"""Save and load gathered DeviceStates, so an audit can be re-run offline and attached to a bug report.

Layout of a snapshot directory:

    <device>.json        one DeviceState per device (the last read)
    previous/<device>.json   the first read when the audit used --interval (runtime counter deltas)
    _audit.json          when it was taken, which devices could not be read and why

DeviceState holds no credentials by construction; free-text fields (partial-read problems and
unreachability reasons, which may quote device output) are scrubbed of anything that looks like a
secret before they are written.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent.errors import InputError, InputProblem
from agent.redact import scrub as scrub  # re-exported: agent.rollout.trail imports it from here
from agent.state import DeviceState

META_FILE = "_audit.json"
PREVIOUS_DIR = "previous"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass
class Snapshot:
    states: dict[str, DeviceState]
    previous: dict[str, DeviceState] | None = None
    errors: dict[str, str] = field(default_factory=dict)
    taken_at: float | None = None


def _file_for(directory: Path, device: str) -> Path:
    if not _SAFE_NAME.match(device) or device == META_FILE.removesuffix(".json"):
        raise ValueError(f"device name {device!r} cannot be used as a snapshot file name")
    return directory / f"{device}.json"


def _dump(state: DeviceState) -> str:
    clean = state.model_copy(update={"raw_errors": [scrub(e) for e in state.raw_errors]})
    return clean.model_dump_json(indent=2) + "\n"


def _save_dir(directory: Path, states: dict[str, DeviceState]) -> None:
    """One file per device (the counterpart of _load_dir)."""
    for name, state in states.items():
        _file_for(directory, name).write_text(_dump(state))


def save(directory: Path, snap: Snapshot) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    _save_dir(directory, snap.states)
    if snap.previous is not None:
        prev_dir = directory / PREVIOUS_DIR
        prev_dir.mkdir(exist_ok=True)
        _save_dir(prev_dir, snap.previous)
    meta: dict[str, Any] = {
        "taken_at": snap.taken_at if snap.taken_at is not None else time.time(),
        "devices": sorted(snap.states),
        "unreachable": {k: scrub(v) for k, v in sorted(snap.errors.items())},
    }
    (directory / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")


def _load_dir(directory: Path) -> dict[str, DeviceState]:
    states: dict[str, DeviceState] = {}
    problems: list[InputProblem] = []
    for path in sorted(directory.glob("*.json")):
        if path.name == META_FILE:
            continue
        try:
            state = DeviceState.model_validate_json(path.read_text())
        except (ValidationError, ValueError) as exc:
            problems.append(InputProblem(path, None, "", f"not a DeviceState snapshot: {str(exc).splitlines()[0]}"))
            continue
        if state.name != path.stem:
            problems.append(InputProblem(path, None, "name", f"file holds device {state.name!r}"))
            continue
        states[state.name] = state
    if problems:
        raise InputError(problems)
    return states


def load(directory: Path) -> Snapshot:
    """Read a snapshot directory; a malformed file is an input error (exit 2), never a silent skip."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError([InputProblem(directory, None, "--from-snapshot", "not a directory")])
    states = _load_dir(directory)
    prev_dir = directory / PREVIOUS_DIR
    previous = _load_dir(prev_dir) if prev_dir.is_dir() else None
    meta_path = directory / META_FILE
    meta: dict[str, Any] = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    if not states and not meta.get("unreachable"):
        raise InputError([InputProblem(directory, None, "--from-snapshot", "no device snapshots (*.json) found")])
    return Snapshot(states, previous, dict(meta.get("unreachable") or {}), meta.get("taken_at"))
