"""Shared helpers for the SONiC twin tests (a plain module: pytest imports it from this directory)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rocelab.sonic import SonicTwin
from rocelab.twin import CommandResult, TwinPort

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sonic"


def golden(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def leaf(ports: int = 4, cabled: int = 2, *, speed: int = 400_000, model: str = "traditional", **kw: Any) -> SonicTwin:
    """A leaf with `ports` ports (Ethernet0, Ethernet4, ...), the first `cabled` cabled to hosts."""
    made = [
        TwinPort(f"Ethernet{4 * i}", speed, f"host{i + 1}:eth1" if i < cabled else None, "host" if i < cabled else None)
        for i in range(ports)
    ]
    return SonicTwin("leaf1", made, buffer_model=model, **kw)


def ok(twin: SonicTwin, command: str, *, sudo: bool = False) -> str:
    """Run a command that must succeed and return its stdout."""
    res = twin.run(command, sudo=sudo)
    assert res.exit_code == 0, f"{command!r} failed ({res.exit_code}): {res.stderr or res.stdout}"
    return res.stdout


def config(twin: SonicTwin) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(twin, "sonic-cfggen -d --print-data"))
    return data


def patch(twin: SonicTwin, ops: list[dict[str, Any]], *, dry_run: bool = False) -> CommandResult:
    twin.write_file("/tmp/p.json", json.dumps(ops).encode())
    return twin.run("config apply-patch /tmp/p.json" + (" --dry-run" if dry_run else ""), sudo=True)


def start_watchdog(twin: SonicTwin) -> SonicTwin:
    """The watchdog of an image built with ENABLE_PFCWD_ON_START=y: `default_pfcwd_status enable`, then the
    `pfcwd start_default` that `config load_minigraph` runs. A community image boots without PFC_WD rows."""
    ok(twin, "sonic-db-cli CONFIG_DB hset 'DEVICE_METADATA|localhost' default_pfcwd_status enable")
    ok(twin, "pfcwd start_default", sudo=True)
    return twin
