import pytest
from checks_builders import case_id, load_cases
from checks_cases import assert_case

CASES = load_cases("switch_watchdog.yaml")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_switch_watchdog_case(case: dict) -> None:
    assert_case(case)
