"""The policy's load_balancing section: every bad value named with its line and what is allowed, and
per-role overrides merged field by field (a tier's device type replacing an inherited seed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.policy.loader import check_policy_file
from agent.policy.model import Policy
from agent.policy.resolve import effective_policy

BASE = """name: t
baseline: nvidia-roce
"""


def problems(tmp_path: Path, body: str) -> list[tuple[int | None, str, str]]:
    path = tmp_path / "policy.yaml"
    path.write_text(BASE + body)
    report = check_policy_file(path)
    assert report.policy is None
    return [(p.line, p.field, p.message) for p in report.errors]


def load(tmp_path: Path, body: str) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(BASE + body)
    report = check_policy_file(path)
    assert report.policy is not None, report.errors
    return report.policy


@pytest.mark.parametrize(
    ("body", "line", "field", "needle"),
    [
        (
            "load_balancing:\n  ecmp_hash: [SRC_IP, L4_SPORT]\n",
            4,
            "load_balancing.ecmp_hash[1]",
            "Did you mean 'L4_SRC_PORT'",
        ),
        ("load_balancing:\n  lag_hash: [SRC_IP, SRC_IP]\n", 4, "load_balancing.lag_hash[1]", "listed twice"),
        ("load_balancing:\n  ecmp_hash: []\n", 4, "load_balancing.ecmp_hash", "empty hash field list"),
        (
            "load_balancing:\n  ecmp_hash_algorithm: CRC32\n",
            4,
            "load_balancing.ecmp_hash_algorithm",
            "Allowed: CRC, XOR",
        ),
        ("load_balancing:\n  device_type: Spine\n", 4, "load_balancing.device_type", "SpineRouter"),
        (
            "load_balancing:\n  device_type: UpperSpineRouter\n  seed: 50\n",
            5,
            "load_balancing.seed",
            "SONiC starts a UpperSpineRouter with hash seed 25",
        ),
        (
            "overrides:\n  - match: {role: spine}\n    load_balancing: {entropy: {qps: 0}}\n",
            5,
            "overrides[0].load_balancing.entropy.qps",
            "greater than or equal to 1",
        ),
        (
            "load_balancing:\n  adaptive_routing: {assign_mode: per_flow}\n",
            4,
            "load_balancing.adaptive_routing.assign_mode",
            "per_flowlet_quality",
        ),
    ],
)
def test_bad_load_balancing_is_named_at_its_line(tmp_path: Path, body: str, line: int, field: str, needle: str) -> None:
    found = problems(tmp_path, body)
    assert [(ln, f) for ln, f, _m in found] == [(line, field)], found
    assert needle in found[0][2]


def test_overrides_merge_per_role(tmp_path: Path) -> None:
    policy = load(
        tmp_path,
        "load_balancing:\n  ecmp_hash: [SRC_IP, DST_IP, L4_SRC_PORT]\n  seed: 10\n"
        "overrides:\n  - match: {role: spine}\n"
        "    load_balancing: {device_type: SpineRouter, ecmp_hash_algorithm: XOR}\n",
    )
    leaf = effective_policy(policy, "leaf1", (), "leaf").load_balancing
    spine = effective_policy(policy, "spine1", (), "spine").load_balancing
    assert leaf is not None
    assert spine is not None
    assert (leaf.expected_seed, leaf.ecmp_hash_algorithm) == (10, None)
    assert spine.ecmp_hash == ["SRC_IP", "DST_IP", "L4_SRC_PORT"]  # inherited
    assert (spine.expected_seed, spine.ecmp_hash_algorithm) == (25, "XOR")  # the type's seed, not the fabric's 10


def test_override_alone_declares_load_balancing_for_its_tier(tmp_path: Path) -> None:
    policy = load(tmp_path, "overrides:\n  - match: {role: leaf}\n    load_balancing: {device_type: LeafRouter}\n")
    assert policy.load_balancing is None
    lb = effective_policy(policy, "leaf1", (), "leaf").load_balancing
    assert lb is not None
    assert lb.expected_seed == 10
