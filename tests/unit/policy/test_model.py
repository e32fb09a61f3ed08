"""Policy model in code: invariants hold without a file, derived views, immutability, overrides."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from pydantic import ValidationError

from agent.policy.baselines import BASELINES
from agent.policy.model import Mtu, Override, Policy, TrafficClass
from agent.policy.resolve import effective_policy


def classes(**roce: Any) -> list[dict[str, Any]]:
    return [
        {"name": "roce", "dscp": [26], "priority": 3, "lossless": True, **roce},
        {"name": "cnp", "dscp": [48], "priority": 6, "cnp": True, "scheduling": {"type": "strict"}},
        {"name": "bulk", "dscp": [10], "priority": 1, "lossless": False, "scheduling": {"weight": 20}},
        {"name": "default", "priority": 0, "default": True},
    ]


def test_invariants_hold_for_models_built_in_code_and_all_are_reported() -> None:
    bad = classes()
    bad[2]["dscp"] = [26]  # DSCP twice
    bad[1]["lossless"] = True  # CNP lossless
    with pytest.raises(ValidationError) as err:
        Policy(classes=bad)  # type: ignore[arg-type]
    text = str(err.value)
    assert "classes[2].dscp[0]: DSCP 26 is already in class 'roce'" in text
    assert "classes[1].lossless: the CNP class must not be lossless" in text


def test_cross_section_invariant_in_code() -> None:
    with pytest.raises(ValidationError, match="3 lossless priorities"):
        Policy.model_validate(
            {
                "pfc": {"max_lossless_priorities": 2},
                "classes": [
                    *classes(),
                    {"name": "a", "dscp": [1], "priority": 4, "lossless": True},
                    {"name": "b", "dscp": [2], "priority": 5, "lossless": True},
                ],
            }
        )


def test_policy_is_immutable() -> None:
    p = Policy.model_validate({"baseline": "nvidia-roce"})
    with pytest.raises(ValidationError):
        p.name = "changed"
    with pytest.raises(ValidationError):
        p.mtu.host = 1500


def test_baseline_in_code_is_fully_resolved() -> None:
    p = Policy.model_validate({"baseline": "nvidia-roce", "mtu": {"host": 4200}})
    assert [c.name for c in p.classes] == ["roce", "cnp", "default"]
    assert (p.mtu.host, p.mtu.switch) == (4200, 9100)


def test_derived_views() -> None:
    p = Policy.model_validate({"classes": classes()})
    assert p.lossless_priorities == (3,)
    assert p.roce_tos() == 106  # 26 << 2 | ECT(0)
    assert (p.cnp_dscp, p.cnp_priority) == (48, 6)
    assert p.default_class.name == "default"
    table = p.dscp_to_priority()
    assert (table[26], table[48], table[10], table[63]) == (3, 6, 1, 0)
    assert p.ecn_notification_priorities == p.ecn_reaction_priorities == (3,)
    assert p.cable_length_for("host") == 5
    assert p.cable_length_for("unknown-role") == 40


def test_roce_flag_selects_the_tos_class() -> None:
    cls = classes()
    cls.insert(0, {"name": "storage", "dscp": [24], "priority": 4, "lossless": True})
    cls[1]["roce"] = True
    p = Policy.model_validate({"classes": cls})
    assert p.roce_class is not None
    assert p.roce_class.name == "roce"
    assert p.roce_tos() == 106
    del cls[1]["roce"]
    assert Policy.model_validate({"classes": cls}).roce_tos() == (24 << 2) | 2  # first lossless class


def test_override_mtu_changes_only_the_roles_it_names() -> None:
    p = Policy.model_validate(
        {
            "classes": classes(),
            "mtu": {"switch": 9216, "host": 9000},
            "overrides": [{"match": {"role": "rdma-host"}, "mtu": {"host": 4200}}],
        }
    )
    eff = effective_policy(p, "host1", (), "rdma-host")
    assert eff.mtu == Mtu(switch=9216, host=4200)
    assert effective_policy(p, "leaf1", (), "leaf").mtu == Mtu(switch=9216, host=9000)


def test_override_match_is_all_of_its_keys() -> None:
    ov = Override(match={"group": "spines", "role": "spine"}, cable_length={"fabric": 300})
    p = Policy.model_validate({"classes": classes(), "overrides": [ov.model_dump()]})
    assert effective_policy(p, "s1", ("spines",), "spine").cable_length_for("fabric") == 300
    assert effective_policy(p, "s1", ("spines",), "leaf").cable_length_for("fabric") == 40


def test_traffic_class_rejects_repeated_values() -> None:
    with pytest.raises(ValidationError, match="listed twice"):
        TrafficClass(name="x", dscp=[1, 1], priority=0)


def test_baseline_field_accepts_exactly_the_shipped_baselines() -> None:
    literal = next(a for a in get_args(Policy.model_fields["baseline"].annotation) if a is not type(None))
    assert set(get_args(literal)) == set(BASELINES)


def test_json_round_trip_gives_the_same_policy() -> None:
    # Snapshots and reports store the resolved policy as JSON; reading it back must not change it.
    for source in ({"baseline": "sonic-azure"}, {"baseline": "nvidia-roce", "overrides": [{"match": {"host": "h1"}}]}):
        p = Policy.model_validate(source)
        assert Policy.model_validate_json(p.model_dump_json()) == p


def test_empty_override_is_a_warning() -> None:
    from agent.policy.loader import policy_warnings

    p = Policy.model_validate({"baseline": "nvidia-roce", "overrides": [{"match": {"host": "h1"}}]})
    assert policy_warnings(p) == ["overrides[0]: this override changes nothing (no cable_length, mtu or buffer_model)"]
