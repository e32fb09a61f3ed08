"""Profile boundaries declared per link (links.yaml `roce_profile:`), from the files to the intents.

The small inventory is leaf1 (host1 on Ethernet0) uplinked to spine1. Here leaf1 and host1 are the lossy
inference pod and spine1 stays lossless training: without a declared boundary the uplink joins two
profiles (an error); with `roce_profile: inference` on it, both of its ports run lossy and every other
spine port stays lossless. Each refusal is located at the link's `roce_profile:` line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.app.inputs import LoadedInventory, load_inputs
from agent.errors import InputError

ROOT = Path(__file__).resolve().parents[3]
SMALL = ROOT / "tests" / "fixtures" / "inventory" / "small"

POLICY = """\
name: fabric
default_profile: training
profiles:
  training: {baseline: nvidia-roce}
  inference: {baseline: nvidia-roce-lossy}
  other-dscp:
    baseline: nvidia-roce-lossy
    classes:
      - {name: roce, dscp: [24], priority: 3, roce: true, ecn: {min_threshold: 150KB, max_threshold: 1500KB}}
      - {name: cnp, dscp: [48], priority: 6, cnp: true, scheduling: {type: strict}}
      - {name: default, priority: 0, default: true}
"""

LINKS = """\
links:
  - {a: "leaf1:Ethernet0", b: "host1:eth1", role: host}
  - a: "leaf1:Ethernet8"
    b: "spine1:Ethernet0"
    role: fabric
    roce_profile: {uplink}
  - {a: "spine1:Ethernet4", b: "leaf9:Ethernet8", role: fabric}
"""

LEAF9 = """\
leaf9:
  hostname: 127.0.0.2
  port: 10025
  groups: [sonic, leaves]
  data:
    role: leaf
    port_speed: 400G
"""


def pod(tmp_path: Path, uplink: str | None = "inference", pod_profile: str = "inference") -> Path:
    """leaf1 + host1 on `pod_profile`, spine1 and a second leaf (leaf9) on the default (training)."""
    inv = tmp_path / "inv"
    shutil.copytree(SMALL, inv)
    (inv / "policy.yaml").write_text(POLICY)
    hosts = (inv / "hosts.yaml").read_text() + LEAF9
    for host in ("leaf1", "host1"):
        head, _, tail = hosts.partition(f"{host}:\n")
        hosts = head + f"{host}:\n" + tail.replace("  data:\n", f"  data:\n    roce_profile: {pod_profile}\n", 1)
    (inv / "hosts.yaml").write_text(hosts)
    links = LINKS.replace("{uplink}", uplink or "")
    if uplink is None:
        links = links.replace("    roce_profile: \n", "")
    (inv / "links.yaml").write_text(links)
    return inv


def load(inv: Path) -> LoadedInventory:
    return load_inputs(inv, inv / "policy.yaml", lambda nr: nr, contact=False)


def problems(inv: Path) -> list[tuple[str, int | None, str, str]]:
    with pytest.raises(InputError) as exc:
        load(inv)
    return [(Path(str(p.file)).name, p.line, p.field, p.message) for p in exc.value.problems]


def test_a_declared_boundary_gives_both_ports_the_links_profile(tmp_path: Path) -> None:
    intents = load(pod(tmp_path)).intents
    spine = intents["spine1"]
    assert spine.policy.name == "training"
    facing_pod, facing_training = spine.ports["Ethernet0"], spine.ports["Ethernet4"]
    assert (facing_pod.profile, facing_pod.lossless_priorities) == ("inference", ())
    assert spine.policy_of(facing_pod).lossy
    assert (facing_training.profile, facing_training.lossless_priorities) == (None, (3,))
    assert spine.policy_of(facing_training) is spine.policy
    # the pod's own ports run the device's profile: no per-port profile recorded
    assert [p.profile for p in intents["leaf1"].ports.values()] == [None, None]
    assert all(p.lossless_priorities == () for p in intents["leaf1"].ports.values())


def test_without_the_declaration_the_boundary_is_an_error_that_says_how_to_declare_it(tmp_path: Path) -> None:
    [(file, line, field, message)] = problems(pod(tmp_path, uplink=None))
    assert (file, line, field) == ("links.yaml", 3, "links[1]")
    assert "leaf1:Ethernet8 (profile 'inference') - spine1:Ethernet0 (profile 'training') joins two profiles" in message
    assert "roce_profile: NAME in links.yaml" in message


def test_an_unknown_link_profile_is_located_at_its_line(tmp_path: Path) -> None:
    [(file, line, field, message)] = problems(pod(tmp_path, uplink="inferense"))
    assert (file, line, field) == ("links.yaml", 6, "links[1].roce_profile")
    assert "unknown profile 'inferense'. Did you mean 'inference'?" in message


def test_a_host_end_must_run_the_links_profile(tmp_path: Path) -> None:
    """A NIC runs one profile: a host link declaring another profile than the host's is refused."""
    inv = pod(tmp_path)
    text = (inv / "links.yaml").read_text()
    host_link = '  - {a: "leaf1:Ethernet0", b: "host1:eth1", role: host}\n'
    text = text.replace(host_link, '  - {a: "leaf1:Ethernet0", b: "host1:eth1", role: host, roce_profile: training}\n')
    (inv / "links.yaml").write_text(text)
    found = problems(inv)
    assert ("links.yaml", 2, "links[0].roce_profile") in [f[:3] for f in found]
    message = next(m for f, _l, fld, m in found if fld == "links[0].roce_profile" and "host1" in m)
    assert message.startswith(
        "link leaf1:Ethernet0 - host1:eth1 declares profile 'training' but host host1 runs 'inference': "
        "a NIC runs one profile"
    )


def test_a_link_profile_with_another_dscp_map_cannot_be_rendered_per_port(tmp_path: Path) -> None:
    """DSCP -> TC is one map per SONiC switch: a link profile that moves RoCE to DSCP 24 is refused on
    the spine's end (the pod's own end runs it as its device profile, so only the spine is named)."""
    [(file, line, field, message)] = problems(pod(tmp_path, uplink="other-dscp", pod_profile="other-dscp"))
    assert (file, line, field) == ("links.yaml", 6, "links[1].roce_profile")
    assert "port spine1:Ethernet0 of spine1 (profile 'training') cannot run" in message
    assert "the DSCP -> priority map (DSCP 24, 26 differ)" in message
    assert "per switch in SONiC" in message


def test_a_misspelt_link_key_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    inv = pod(tmp_path)
    (inv / "links.yaml").write_text((inv / "links.yaml").read_text().replace("roce_profile:", "roce_profil:"))
    [(file, line, field, message)] = problems(inv)
    assert (file, line) == ("links.yaml", 6)
    assert "roce_profil" in field + message
    assert "roce_profile" in message


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (
            {"trust": "pcp", "classes": [{"name": "roce", "dscp": [26], "pcp": [3], "priority": 3, "roce": True,
              "ecn": {"min_threshold": "150KB", "max_threshold": "1500KB"}}, {"name": "cnp", "dscp": [48],
              "pcp": [6], "priority": 6, "cnp": True, "scheduling": {"type": "strict"}},
              {"name": "default", "priority": 0, "default": True}]},
            "trust pcp (device: dscp)",
        ),
        (
            {"classes": [{"name": "roce", "dscp": [26], "priority": 4, "roce": True, "ecn": {"min_threshold": "150KB",
              "max_threshold": "1500KB"}}, {"name": "cnp", "dscp": [48], "priority": 6, "cnp": True,
              "scheduling": {"type": "strict"}}, {"name": "default", "priority": 0, "default": True}]},
            "RoCE class priority 4 (device: 3)",
        ),
        (
            {"classes": [{"name": "roce", "dscp": [26], "priority": 3, "roce": True, "ecn": {"min_threshold": "150KB",
              "max_threshold": "1500KB"}}, {"name": "cnp", "dscp": [48], "priority": 5, "cnp": True,
              "scheduling": {"type": "strict"}}, {"name": "default", "priority": 0, "default": True}]},
            "CNP priority 5 (device: 6)",
        ),
    ],
    ids=["trust", "roce-queue", "cnp-queue"],
)  # fmt: skip
def test_switch_wide_settings_a_link_profile_may_not_change(change: dict, why: str) -> None:  # type: ignore[type-arg]
    """What SONiC holds once per switch: each difference is named (agent.policy.profiles)."""
    from agent.policy.model import Policy
    from agent.policy.profiles import port_profile_conflicts

    device = Policy.model_validate({"baseline": "nvidia-roce"})
    port = Policy.model_validate({"baseline": "nvidia-roce-lossy", **change})
    assert why in port_profile_conflicts(port, device)
    assert port_profile_conflicts(Policy.model_validate({"baseline": "nvidia-roce-lossy"}), device) == []


def test_a_lossless_link_profile_must_share_the_switchs_watchdog_poll() -> None:
    from agent.policy.model import Policy
    from agent.policy.profiles import port_profile_conflicts

    device = Policy.model_validate({"baseline": "nvidia-roce-lossy"})
    port = Policy.model_validate({"baseline": "nvidia-roce", "pfc": {"watchdog": {"poll_interval": "100ms",
                                  "detection_time": "200ms", "restoration_time": "200ms"}}})  # fmt: skip
    assert port_profile_conflicts(port, device) == ["watchdog poll_interval 100 ms (device: 200 ms)"]
