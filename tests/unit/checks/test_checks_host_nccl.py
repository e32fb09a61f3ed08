"""Case table for the NCCL and host-entropy checks (tests/fixtures/checks/host_nccl.yaml)."""

from __future__ import annotations

import pytest
from checks_builders import case_id, load_cases
from checks_cases import assert_case

CASES = load_cases("host_nccl.yaml")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_host_nccl_case(case: dict) -> None:
    assert_case(case)
