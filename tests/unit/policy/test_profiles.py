"""Named profiles: one file, several traffic plans (lossless training, lossy inference), each rule located.

Every validation rule of issue 16 has a test here asserting its message, file and line: what a lossy
profile may not declare, what it must, an unknown default profile, and the file without profiles still
loading as one implicit profile.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.errors import InputError
from agent.policy.baselines import BASELINES
from agent.policy.loader import check_policy_file, load_policy, load_policy_set
from agent.policy.model import Policy, RoceMode
from tests.lab_policy import profile_text

ROOT = Path(__file__).parents[3]
LAB = ROOT / "inventories" / "lab" / "policy.yaml"

TWO_PROFILES = """\
name: fabric
default_profile: training
profiles:
  training:
    baseline: nvidia-roce
  inference:
    baseline: nvidia-roce-lossy
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def errors(path: Path) -> list[tuple[int | None, str, str]]:
    report = check_policy_file(path)
    assert report.policy is None
    return [(p.line, p.field, p.message) for p in report.errors]


def test_two_profiles_load_each_fully_resolved(tmp_path: Path) -> None:
    policies = load_policy_set(write(tmp_path, TWO_PROFILES))
    assert (policies.name, policies.default_profile, list(policies.profiles)) == (
        "fabric", "training", ["training", "inference"],
    )  # fmt: skip
    training, inference = policies.profiles["training"], policies.profiles["inference"]
    assert (training.name, training.mode, training.lossless_priorities) == ("training", RoceMode.lossless, (3,))
    assert (inference.name, inference.mode, inference.lossless_priorities) == ("inference", RoceMode.lossy, ())
    assert inference.ecn_notification_priorities == inference.ecn_reaction_priorities == (3,)  # RoCE class
    assert load_policy(write(tmp_path, TWO_PROFILES)).name == "training"  # old callers get the default


def test_a_file_without_profiles_is_one_implicit_profile(tmp_path: Path) -> None:
    single = tmp_path / "lab.yaml"
    single.write_text(profile_text("training"))  # the lab's training profile as a plain, single-plan file
    policies = load_policy_set(single)
    assert list(policies.profiles) == ["lab"]
    assert policies.default_profile == "lab"
    assert policies.default == load_policy(single)
    assert policies.profile(None) is policies.default


def test_the_lab_policy_has_the_training_and_the_inference_pods_profiles() -> None:
    policies = load_policy_set(LAB)
    assert (policies.name, policies.default_profile) == ("lab", "training")
    modes = {name: p.mode for name, p in policies.profiles.items()}
    assert modes == {"training": RoceMode.lossless, "nvidia-roce-lossy": RoceMode.lossy}
    assert load_policy(LAB) == policies.profiles["training"]


def test_lossy_profile_with_a_lossless_class_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_PROFILES + """\
  broken:
    mode: lossy
    classes:
      - {name: roce, dscp: [26], priority: 3, lossless: true, roce: true,
         ecn: {min_threshold: 150KB, max_threshold: 1500KB}, scheduling: {type: dwrr, weight: 50}}
      - {name: other, priority: 0, default: true, scheduling: {type: dwrr, weight: 50}}
""")  # fmt: skip
    [(line, field, message)] = errors(path)
    assert (line, field) == (11, "profiles.broken.classes[0].lossless")
    assert "mode: lossy, which declares no lossless priority" in message
    assert str(path) in str(check_policy_file(path).errors[0])


def test_lossy_profile_must_enable_ecn_on_the_roce_class(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_PROFILES + """\
  noecn:
    baseline: nvidia-roce-lossy
    classes:
      - {name: roce, dscp: [26], priority: 3, roce: true, scheduling: {type: dwrr, weight: 50}}
      - {name: other, priority: 0, default: true, scheduling: {type: dwrr, weight: 50}}
""")  # fmt: skip
    [(line, field, message)] = errors(path)
    assert (line, field) == (11, "profiles.noecn.classes[0].ecn")
    assert "RoCE class 'roce' has no ECN" in message
    assert "only congestion signal" in message
    assert "value from baseline" not in message  # the classes list is the file's own


def test_lossy_profile_must_say_which_class_is_roce(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
mode: lossy
classes:
  - {name: data, dscp: [26], priority: 3, ecn: {min_threshold: 1KB, max_threshold: 2KB}}
  - {name: other, priority: 0, default: true}
""",
    )
    [(line, field, message)] = errors(path)
    assert (line, field) == (2, "classes")
    assert "must mark its RoCE class `roce: true`" in message


def test_lossless_mode_still_refuses_ecn_on_a_lossy_class(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
classes:
  - {name: data, dscp: [26], priority: 3, roce: true, ecn: {min_threshold: 1KB, max_threshold: 2KB}}
  - {name: other, priority: 0, default: true}
""",
    )
    [(line, field, message)] = errors(path)
    assert (line, field) == (2, "classes[0].ecn")
    assert "only for lossless classes" in message


def test_unknown_default_profile_names_the_profiles(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_PROFILES.replace("default_profile: training", "default_profile: trainig"))
    [(line, field, message)] = errors(path)
    assert (line, field) == (2, "default_profile")
    assert "'trainig' is not a profile" in message
    assert "Did you mean 'training'?" in message


def test_problems_of_two_profiles_are_all_reported_at_their_lines(tmp_path: Path) -> None:
    text = TWO_PROFILES.replace("baseline: nvidia-roce\n", "baseline: nvidia-roce\n    mtu: {host: 9200}\n", 1)
    text = text.replace("baseline: nvidia-roce-lossy", "baseline: nvidia-roce-lossy\n    trust: pcpp")
    found = errors(write(tmp_path, text))
    assert [(line, field) for line, field, _ in found] == [(6, "profiles.training.mtu.host"),
                                                           (9, "profiles.inference.trust")]  # fmt: skip


def test_nvidia_roce_lossy_is_nvues_lossless_table_without_pfc() -> None:
    """NVUE's default table: lossy and lossless share trust, maps, ETS and ECN; only PFC differs."""
    lossless, lossy = (
        Policy.model_validate(BASELINES["nvidia-roce"]),
        Policy.model_validate(BASELINES["nvidia-roce-lossy"]),
    )
    assert lossy.mode is RoceMode.lossy
    assert lossy.lossless_priorities == ()
    assert lossy.dscp_to_priority() == lossless.dscp_to_priority()
    assert [(c.name, c.priority, c.scheduling, c.ecn) for c in lossy.classes] == [
        (c.name, c.priority, c.scheduling, c.ecn) for c in lossless.classes
    ]
    roce = lossy.roce_class
    assert roce is not None
    assert roce.ecn is not None
    assert (roce.ecn.min_threshold, roce.ecn.max_threshold) == (150_000, 1_500_000)
    assert not lossy.pfc.watchdog.enabled
    assert lossy.roce_tos() == 106
    assert lossy.cnp_dscp == 48


def test_inference_low_latency_marks_earlier_than_nvidia_lossy() -> None:
    fast = Policy.model_validate(BASELINES["inference-low-latency"])
    lossy = Policy.model_validate(BASELINES["nvidia-roce-lossy"])
    assert fast.lossy
    f, s = fast.roce_class, lossy.roce_class
    assert f is not None
    assert s is not None
    assert f.ecn is not None
    assert s.ecn is not None
    assert f.ecn.min_threshold < s.ecn.min_threshold
    assert f.ecn.max_threshold < s.ecn.max_threshold


def test_load_policy_raises_with_every_profile_problem(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_PROFILES.replace("nvidia-roce-lossy", "nvidia-rocee"))
    with pytest.raises(InputError) as exc:
        load_policy(path)
    [problem] = exc.value.problems
    assert (problem.line, problem.field) == (7, "profiles.inference.baseline")  # no "classes missing" noise


def test_policy_show_one_profile_as_json(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_PROFILES)
    result = CliRunner().invoke(app, ["policy", "show", str(path), "--profile", "inference", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["profile"], doc["default_profile"], doc["profiles"]) == (
        "inference",
        "training",
        ["training", "inference"],
    )
    assert doc["policy"]["mode"] == "lossy"
    assert doc["derived"]["lossless_priorities"] == []
    assert doc["headroom"] == []  # no lossless PG, no headroom
    bad = CliRunner().invoke(app, ["policy", "show", str(path), "--profile", "inferense"])
    assert bad.exit_code == 2
    assert "Did you mean 'inference'?" in bad.stderr


def test_host_local_mode_takes_a_profile_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_PROFILES)
    bad = CliRunner().invoke(app, ["host", "plan", "-p", str(path), "--profile", "inferenc", "--interface", "eth1"])
    assert bad.exit_code == 2
    assert "--profile: unknown profile 'inferenc'. Did you mean 'inference'?" in bad.stderr
