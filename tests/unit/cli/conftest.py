"""Fixtures the CLI tests share."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPORT_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "report"


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    """A writable copy of the report inventory (audits record history beside it)."""
    target = tmp_path / "inv"
    shutil.copytree(REPORT_FIXTURES / "inventory", target)
    return target
