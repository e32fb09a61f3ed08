"""The entropy benchmark's fabric is a real three-tier Clos: every host pair has a path."""

from __future__ import annotations

from benchmarks.entropy_bench import ClosShape, bench, three_tier


def test_default_shape_is_the_issue_size() -> None:
    assert ClosShape().switches == 1024
    assert ClosShape().hosts == 8192


def test_small_three_tier_routes_every_flow_and_reports_each_tier() -> None:
    shape = ClosShape(pods=2, leaves_per_pod=2, spines_per_pod=2, supers_per_plane=2, hosts=8)
    topology, roles = three_tier(shape)
    assert sorted(set(roles.values())) == ["leaf", "spine", "super"]
    assert len(topology.links) == 8 + 2 * 2 * 2 + 2 * 2 * 2
    result = bench(shape, qps=2, seed=1)
    assert result["unrouted"] == 0
    assert result["flows"] == 16
    assert set(result["tiers"]) == {"leaf->spine", "spine->leaf", "spine->super", "super->spine"}
