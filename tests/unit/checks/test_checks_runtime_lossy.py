"""Runtime checks of lossy profiles, from tests/fixtures/checks/runtime_lossy.yaml (one case per row)."""

from __future__ import annotations

import pytest
from checks_builders import case_id, load_cases
from checks_cases import assert_case

CASES = load_cases("runtime_lossy.yaml")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_runtime_lossy_case(case: dict) -> None:  # type: ignore[type-arg]
    assert_case(case)


def test_checks_explain_says_which_mode_each_runtime_check_applies_in() -> None:
    from typer.testing import CliRunner

    from agent.checks.modes import LOSSLESS_ONLY, LOSSY_MEANING, LOSSY_ONLY
    from agent.checks.registry import catalogue
    from agent.cli import app

    assert set(LOSSY_ONLY) <= set(catalogue())
    assert not set(LOSSY_ONLY) & (set(LOSSLESS_ONLY) | set(LOSSY_MEANING))
    said = {
        cid: CliRunner().invoke(app, ["checks", "explain", cid]).stdout
        for cid in ("RT-RDMA-002", "RT-DROP-001", "RT-RDMA-001")
    }
    assert "applies in: lossy profiles only (the health signal" in said["RT-RDMA-002"]
    assert "applies in: lossless profiles only" in said["RT-DROP-001"]
    assert "in lossy: only a requester that gave up" in said["RT-RDMA-001"]
