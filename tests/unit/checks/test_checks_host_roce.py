import pytest
from checks_builders import case_id, load_cases
from checks_cases import assert_case

CASES = load_cases("host_roce.yaml")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_host_roce_case(case: dict) -> None:
    assert_case(case)
