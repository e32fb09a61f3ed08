"""Stage selection: canaries, percentages, `by` grouping, leftovers and unknown set names."""

from __future__ import annotations

import pytest

from agent.rollout.stages import Candidate, parse_select, resolve_stages, unstaged

FABRIC = (
    [Candidate(f"leaf{i}", "leaf", ("sonic", "leaves")) for i in range(1, 5)]
    + [Candidate(f"spine{i}", "spine", ("sonic", "spines")) for i in (1, 2)]
    + [Candidate(f"host{i}", "rdma-host", ("rdma-hosts",), {"rack": f"r{(i - 1) // 3 + 1}"}) for i in range(1, 7)]
)


def batches(*stages: tuple[str, str, int | str | None]) -> list[list[list[str]]]:
    resolved, unknown = resolve_stages(list(stages), FABRIC)
    assert unknown == []
    return [s.batches for s in resolved]


def test_canary_then_rest_of_the_set() -> None:
    assert batches(("canary", "1 leaf", None), ("leaves", "leaves", 2)) == [
        [["leaf1"]],
        [["leaf2", "leaf3"], ["leaf4"]],
    ]


def test_percentages_round_up_and_never_select_zero() -> None:
    assert batches(("a", "25% of leaves", None)) == [[["leaf1"]]]
    assert batches(("a", "30% of leaves", None)) == [[["leaf1", "leaf2"]]]
    assert batches(("a", "leaves", "50%")) == [[["leaf1", "leaf2"], ["leaf3", "leaf4"]]]
    assert batches(("a", "1% of spines", None)) == [[["spine1"]]]


def test_hosts_by_rack_then_batch_size() -> None:
    assert batches(("hosts", "rdma-hosts by rack", 2)) == [
        [["host1", "host2"], ["host3"], ["host4", "host5"], ["host6"]]
    ]


def test_singular_plural_group_role_and_name() -> None:
    assert batches(("a", "2 spines", None), ("b", "host4", None), ("c", "all", None))[:2] == [
        [["spine1", "spine2"]],
        [["host4"]],
    ]


def test_devices_no_stage_selects_are_reported() -> None:
    resolved, _ = resolve_stages([("a", "spines", None)], FABRIC)
    assert unstaged(resolved, FABRIC) == sorted(c.name for c in FABRIC if c.role != "spine")


def test_unknown_set_name_is_returned_for_a_located_error() -> None:
    _, unknown = resolve_stages([("a", "1 leef", None)], FABRIC)
    assert unknown == ["leef"]


@pytest.mark.parametrize("text", ["", "one leaf", "0 leaves", "150% of leaves", "leaves by", "1 leaf by rack extra"])
def test_bad_selections(text: str) -> None:
    with pytest.raises(ValueError, match=r"selection|count"):
        parse_select(text)
