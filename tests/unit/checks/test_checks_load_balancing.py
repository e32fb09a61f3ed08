import pytest
from checks_builders import case_id, load_cases
from checks_cases import assert_case

CASES = load_cases("load_balancing.yaml")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_load_balancing_case(case: dict) -> None:
    assert_case(case)
