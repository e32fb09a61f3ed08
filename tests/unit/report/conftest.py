"""Session fixtures for the report tests (helpers live in report_fixtures, a uniquely named module)."""

from __future__ import annotations

import pytest
from report_fixtures import audit_of

from agent.checks.engine import AuditResult


@pytest.fixture(scope="session")
def faults() -> AuditResult:
    return audit_of("snapshot-faults")


@pytest.fixture(scope="session")
def clean() -> AuditResult:
    return audit_of("snapshot-clean")
