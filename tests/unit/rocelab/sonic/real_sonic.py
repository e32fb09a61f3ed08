"""Access to ../shared/real-sonic (real SONiC data, for tests only) and a twin loaded from its mock tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rocelab.sonic import SonicTwin

REAL = Path(__file__).resolve().parents[4].parent / "shared" / "real-sonic"
# README "How a test should use them": the redis database each mock table is.
MOCK_DBS = {4: "config_db.json", 0: "appl_db.json", 2: "counters_db.json", 1: "asic_db.json", 6: "state_db.json"}


def real_dir(*parts: str) -> Path:
    path = REAL.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real SONiC data not found at {path} (it lives beside the repository as ../shared)")
    return path


def mock_twin() -> SonicTwin:
    """A twin over sonic-utilities' own mock databases, the content its expected CLI outputs were made from."""
    folder = real_dir("mock_tables")
    dump = {db: json.loads((folder / name).read_text(encoding="utf-8")) for db, name in MOCK_DBS.items()}
    return SonicTwin.from_dump("sonic-switch", dump)
