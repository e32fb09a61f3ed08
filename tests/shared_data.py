"""Where the real SONiC reference data lives for tests: `../shared/real-sonic` beside the repository root.

Tests only (the product never reads it). A checkout without it cannot run the real-data tests, so they
skip with a reason that says where the data is expected.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REAL_SONIC = Path(__file__).resolve().parents[1].parent / "shared" / "real-sonic"


def real_sonic(*parts: str) -> Path:
    """A file under real-sonic/, or a skip naming the missing path."""
    path = REAL_SONIC.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real SONiC reference data not found at {path}")
    return path
