"""The filter language: parses to Nornir filters that select the right hosts, rejects bad syntax precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.inventory.loader import load_nornir
from agent.rollout.targets import FilterSyntaxError, parse_filter, target_filter

INVENTORY = Path(__file__).resolve().parents[2] / "fixtures" / "rollout" / "inventory"


@pytest.fixture(scope="module")
def nr():  # type: ignore[no-untyped-def]
    return load_nornir(INVENTORY)


def names(nr, flt) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(nr.filter(flt).inventory.hosts)


@pytest.mark.parametrize(
    ("expr", "selected"),
    [
        ("role=leaf", ["leaf1", "leaf2", "leaf3", "leaf4"]),
        ("group=spines", ["spine1", "spine2"]),
        ("role=leaf & !name=leaf2", ["leaf1", "leaf3", "leaf4"]),
        ("role=leaf & name!=leaf2 & name!=leaf3", ["leaf1", "leaf4"]),
        ("group=spines | name=host1", ["host1", "spine1", "spine2"]),
        ("name=leaf*", ["leaf1", "leaf2", "leaf3", "leaf4"]),
        ("name in (leaf1, spine2)", ["leaf1", "spine2"]),
        ("rack=r2 & !(name=host5 | name=host6)", ["host7", "host8"]),
        ("rack in (r1) & name=host?", ["host1", "host2", "host3", "host4"]),
        ("group in (spines, leaves) & !role=leaf", ["spine1", "spine2"]),
        ("role='rdma-host' & rack=\"r1\"", ["host1", "host2", "host3", "host4"]),
        ("device_kind=switch & !(group=leaves)", ["spine1", "spine2"]),
    ],
)
def test_expressions_select_hosts(nr, expr: str, selected: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert names(nr, parse_filter(expr)) == selected


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("role=leaf &", "expected a key or value at position 12"),
        ("role leaf", "expected an operator"),
        ("(role=leaf", "expected ')'"),
        ("role=leaf)", "unexpected ')' at position 10"),
        ("rack>=r1", "compares numbers"),
        ("__import__('os')=1", "expected an operator"),
        ("1rack=2", "not a key"),
        ("role=leaf; rm -rf /", "unexpected character ';'"),
        ("", "empty filter"),
    ],
)
def test_bad_expressions_are_rejected_with_position(expr: str, message: str) -> None:
    with pytest.raises(FilterSyntaxError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_filter(expr)


def test_targets_combine_lists_expression_and_exclude(nr) -> None:  # type: ignore[no-untyped-def]
    flt = target_filter(groups=["spines"], roles=["leaf"], expression="!name=leaf3", exclude=["spine*"])
    assert names(nr, flt) == ["leaf1", "leaf2", "leaf4"]
    assert len(names(nr, target_filter())) == 14


def test_numeric_comparison_on_host_data() -> None:
    from nornir.core.inventory import Defaults, Host

    hosts = [Host(f"h{i}", data={"slot": i}, defaults=Defaults()) for i in range(5)]
    flt = parse_filter("slot>=3 | slot<1")
    assert [h.name for h in hosts if flt(h)] == ["h0", "h3", "h4"]
