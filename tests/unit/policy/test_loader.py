"""Loading policy files: the committed example policies, baselines and their merge rule, all-errors reporting."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import InputError
from agent.policy.baselines import BASELINES
from agent.policy.loader import check_policy_file, load_policy, policy_warnings
from agent.policy.model import BufferModel, Policy, SchedulingType, WatchdogAction
from agent.policy.resolve import effective_policy

ROOT = Path(__file__).parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "policy"
LAB = ROOT / "inventories" / "lab" / "policy.yaml"
PROD = ROOT / "inventories" / "example-prod" / "policy.yaml"


def test_lab_policy_is_valid_and_says_what_the_lab_needs() -> None:
    report = check_policy_file(LAB)
    assert report.errors == []
    assert report.warnings == []
    p = report.policy
    assert p is not None
    assert p.baseline == "nvidia-roce"
    roce, cnp, default = p.roce_class, p.cnp_class, p.default_class
    assert roce is not None
    assert cnp is not None
    assert (roce.dscp, roce.priority, roce.lossless, roce.ecn is not None) == ([26], 3, True, True)
    assert (cnp.dscp, cnp.priority, cnp.lossless, cnp.scheduling.type) == ([48], 6, False, SchedulingType.strict)
    assert default.priority == 0
    assert (p.mtu.host, p.mtu.switch) == (9000, 9100)
    assert (p.cable_length_for("host"), p.cable_length_for("fabric")) == (5, 40)
    assert p.buffer_model is BufferModel.traditional
    assert p.roce_tos() == 106
    assert p.lossless_priorities == (3,)


def test_example_prod_policy_is_valid_with_spine_override() -> None:
    p = load_policy(PROD)
    assert policy_warnings(p) == []
    spine = effective_policy(p, "spine1", ("spines",), "spine")
    tor_host = effective_policy(p, "leaf-r01-01", ("leaves",), "leaf")
    assert spine.cable_length_for("fabric") == 300
    assert spine.cable_length_for("host") == 5
    assert tor_host.cable_length_for("fabric") == 300
    assert effective_policy(p, "leaf-r12-01", ("leaves",), "leaf").cable_length_for("host") == 30
    assert p.cable_lengths_in_use() == (5, 30, 40, 300)


def test_baseline_only_file_is_the_baseline() -> None:
    p = load_policy(FIXTURES / "valid" / "baseline-only-nvidia.yaml")
    assert p.baseline == "nvidia-roce"
    from_dict = Policy.model_validate(BASELINES["nvidia-roce"])
    assert p.model_dump(exclude={"baseline"}) == from_dict.model_dump(exclude={"baseline"})
    ecn = p.classes[0].ecn
    assert ecn is not None
    assert (ecn.min_threshold, ecn.max_threshold) == (150_000, 1_500_000)
    assert [(c.name, c.scheduling.weight) for c in p.classes if c.scheduling.type is SchedulingType.dwrr] == [
        ("roce", 50),
        ("default", 50),
    ]
    wd = p.pfc.watchdog
    assert (wd.detection_time, wd.restoration_time, wd.poll_interval, wd.action) == (200, 200, 200, WatchdogAction.drop)
    assert (p.cnp_dscp, p.cnp_priority) == (48, 6)


def test_sonic_azure_baseline_matches_the_community_dscp_map() -> None:
    report = check_policy_file(FIXTURES / "valid" / "baseline-only-sonic-azure.yaml")
    p = report.policy
    assert p is not None
    special = {3: 3, 4: 4, 5: 2, 8: 0, 46: 5, 48: 6}
    assert p.dscp_to_priority() == {d: special.get(d, 1) for d in range(64)}
    assert p.lossless_priorities == (3, 4)
    ecn = p.classes[0].ecn
    assert ecn is not None
    assert (ecn.min_threshold, ecn.max_threshold, ecn.probability) == (1_048_576, 2_097_152, 5)
    # SONiC's CNP queue (TC6) is DWRR, not strict: allowed, but said, and located at the `baseline:` line.
    [warning] = report.warnings
    assert warning.field == "classes[6].scheduling"
    assert warning.line == 2
    assert "(value from baseline sonic-azure)" in warning.message


def test_nested_mappings_merge_and_lists_replace() -> None:
    p = load_policy(FIXTURES / "valid" / "merge-nested.yaml")
    assert p.name == "merged"
    assert p.pfc.watchdog.restoration_time == 1000
    assert p.pfc.watchdog.detection_time == 200  # sibling kept from the baseline
    assert p.cable_length == {"host": 5, "fabric": 100, "default": 40}
    assert p.ecn_reaction_priorities == (3,)
    assert p.ecn_notification_priorities == (3,)  # None -> the lossless priorities
    lab = load_policy(LAB)
    assert [c.name for c in lab.classes] == ["roce", "cnp", "default"]  # the file's list, not appended


def test_every_error_is_reported_in_one_run_in_line_order() -> None:
    path = FIXTURES / "multi" / "many-errors.yaml"
    with pytest.raises(InputError) as err:
        load_policy(path)
    got = [(p.line, p.field) for p in err.value.problems]
    assert got == [
        (12, "classes[1].dscp[0]"),
        (19, "classes[2].lossless"),
        (27, "pfc.watchdog.action"),
        (28, "pfc.watchdog.poll_interval"),
        (30, "mtu.swtich"),
        (32, "cable_length.fabric"),
    ]


def test_inherited_error_points_at_the_baseline_line() -> None:
    report = check_policy_file(FIXTURES / "invalid" / "05-max-lossless-lowered-below-baseline.yaml")
    [problem] = report.errors
    assert problem.message.endswith("(value from baseline sonic-azure)")


def test_warnings_are_located_and_do_not_fail() -> None:
    report = check_policy_file(FIXTURES / "valid" / "with-warnings.yaml")
    assert report.policy is not None
    fields = {w.field: w for w in report.warnings}
    assert set(fields) == {
        "pfc.watchdog.enabled",
        "classes[0].ecn",
        "classes[1].scheduling",
        "classes[2].scheduling.weight",
        "mtu.host",
        "cable_length.fabric",
    }
    assert "PFC-only" in fields["classes[0].ecn"].message
    assert "4192" in fields["mtu.host"].message
    assert fields["mtu.host"].line == 21
    assert [w.line for w in report.warnings] == sorted(w.line or 0 for w in report.warnings)


def test_cable_warning_depends_on_the_speeds_in_use() -> None:
    p = load_policy(FIXTURES / "valid" / "with-warnings.yaml")
    assert any("500m at 400G" in w for w in policy_warnings(p, [400_000]))
    assert not any("500m" in w for w in policy_warnings(p, [100_000]))


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read file"):
        load_policy(tmp_path / "nope.yaml")


def test_class_rules_still_run_when_one_class_is_invalid() -> None:
    report = check_policy_file(FIXTURES / "multi" / "partial-classes.yaml")
    assert [(p.line, p.field) for p in report.errors] == [
        (7, "classes[0].ecn.min_threshold"),
        (13, "classes[2].dscp[0]"),
    ]
    assert "DSCP 10 is already in class 'bulk' (classes[1])" in report.errors[1].message


def test_cross_section_rules_run_alongside_unrelated_errors() -> None:
    report = check_policy_file(FIXTURES / "multi" / "cross-section.yaml")
    assert [(p.line, p.field) for p in report.errors] == [
        (2, "classes"),  # 3 lossless priorities, pfc section itself invalid: the default maximum (2) applies
        (22, "pfc.watchdog.action"),
        (25, "mtu.host"),
        (26, "buffer_modle"),
    ]
    assert "3 lossless priorities [3, 4, 5]" in report.errors[0].message
