"""ECN-before-PFC helper against lossless-engineering.md §1.6 (B = 20 MB, alpha = 1)."""

from __future__ import annotations

import pytest

from agent.policy.ecn import ecn_marks_before_pfc, max_fan_in_before_pfc, pfc_trigger_threshold

POOL = 20_000_000  # 20 MB


@pytest.mark.parametrize(("fan_in", "expected"), [(1, 10_000_000), (4, 4_000_000), (16, 1_176_470)])
def test_dynamic_threshold_equilibrium(fan_in: int, expected: int) -> None:
    assert pfc_trigger_threshold(POOL, 0, fan_in) == expected


def test_reference_rounding_of_fan_in_16() -> None:
    assert round(pfc_trigger_threshold(POOL, 0, 16) / 1e6, 2) == 1.18  # "N=16 -> 1.18 MB"


def test_alpha_is_two_to_the_dynamic_th() -> None:
    # alpha = 2: T = 2B/(1+2N); alpha = 1/2: T = B/(2+N)
    assert pfc_trigger_threshold(POOL, 1, 1) == 13_333_333
    assert pfc_trigger_threshold(POOL, -1, 2) == 5_000_000


def test_sonic_default_kmax_marks_before_pfc_only_up_to_a_fan_in() -> None:
    kmax = 2 * 1024 * 1024  # WRED_PROFILE AZURE_LOSSLESS max 2 MiB
    assert ecn_marks_before_pfc(kmax, POOL, 0, 4)
    assert not ecn_marks_before_pfc(kmax, POOL, 0, 16)
    assert max_fan_in_before_pfc(kmax, POOL, 0) == 8  # 20e6/9 = 2.22 MB > 2 MiB, 20e6/10 = 2.0 MB < 2 MiB


@pytest.mark.parametrize(("pool", "th", "fan_in"), [(-1, 0, 1), (POOL, 0, 0), (POOL, 8, 1), (POOL, -9, 1)])
def test_invalid_arguments(pool: int, th: int, fan_in: int) -> None:
    with pytest.raises(ValueError, match=r"negative|fan-in|dynamic_th"):
        pfc_trigger_threshold(pool, th, fan_in)
