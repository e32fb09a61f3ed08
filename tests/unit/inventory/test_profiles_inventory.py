"""Which profile each device runs (inventory `roce_profile:`), and the cabling rules between profiles.

Every rule is an input error before any connection, located in the inventory file to fix: an unknown
profile at the `roce_profile:` line that set it (host or group), a link joining two profiles at its entry
in links.yaml naming both ends, a host cabled to a switch port of another profile. The intents built
from the same files carry each device's own profile.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.app.inputs import LoadedInventory, load_inputs
from agent.errors import InputError
from agent.policy.model import RoceMode

ROOT = Path(__file__).resolve().parents[3]
SMALL = ROOT / "tests" / "fixtures" / "inventory" / "small"

POLICY = """\
name: fabric
default_profile: training
profiles:
  training: {baseline: nvidia-roce}
  inference: {baseline: nvidia-roce-lossy}
"""


def inventory(tmp_path: Path, hosts: Callable[[str], str] | None = None, groups: str | None = None) -> Path:
    inv = tmp_path / "inv"
    shutil.copytree(SMALL, inv)
    (inv / "policy.yaml").write_text(POLICY)
    text = (inv / "hosts.yaml").read_text()
    (inv / "hosts.yaml").write_text(hosts(text) if hosts is not None else text)
    if groups is not None:
        (inv / "groups.yaml").write_text((inv / "groups.yaml").read_text() + groups)
    return inv


def on(host: str, profile: str) -> Callable[[str], str]:
    """hosts.yaml with `roce_profile: <profile>` in <host>'s data."""

    def edit(text: str) -> str:
        head, _, tail = text.partition(f"{host}:\n")
        return head + f"{host}:\n" + tail.replace("  data:\n", f"  data:\n    roce_profile: {profile}\n", 1)

    return edit


def load(inv: Path) -> LoadedInventory:
    return load_inputs(inv, inv / "policy.yaml", lambda nr: nr, contact=False)


def problems(inv: Path) -> list[tuple[str, int | None, str, str]]:
    with pytest.raises(InputError) as exc:
        load(inv)
    return [(Path(str(p.file)).name, p.line, p.field, p.message) for p in exc.value.problems]


def test_devices_without_roce_profile_get_the_default_profile(tmp_path: Path) -> None:
    loaded = load(inventory(tmp_path))
    assert {n: i.policy.name for n, i in loaded.intents.items()} == dict.fromkeys(
        ("leaf1", "host1", "spine1"), "training"
    )
    assert loaded.intents["leaf1"].ports["Ethernet0"].lossless_priorities == (3,)


def test_unknown_profile_on_a_host_is_located_at_its_line(tmp_path: Path) -> None:
    [(file, line, field, message)] = problems(inventory(tmp_path, on("host1", "inferense")))
    assert (file, line, field) == ("hosts.yaml", 15, "host1.data.roce_profile")
    assert "unknown profile 'inferense'" in message
    assert "Did you mean 'inference'?" in message


def test_unknown_profile_on_a_group_is_located_in_groups_yaml(tmp_path: Path) -> None:
    inv = inventory(tmp_path, groups="")
    text = (inv / "groups.yaml").read_text().replace("leaves: {}", "leaves:\n  data:\n    roce_profile: nope")
    (inv / "groups.yaml").write_text(text)
    [(file, line, field, message)] = problems(inv)
    assert (file, line, field) == ("groups.yaml", 8, "leaves.data.roce_profile")
    assert "unknown profile 'nope'" in message


def test_a_host_on_another_profile_than_its_switch_port_names_both(tmp_path: Path) -> None:
    [(file, line, field, message)] = problems(inventory(tmp_path, on("host1", "inference")))
    assert (file, line, field) == ("links.yaml", 2, "links[0]")
    assert message.startswith(
        "host host1 (profile 'inference') is cabled to switch port leaf1:Ethernet0 (profile 'training')"
    )


def test_a_fabric_link_joining_two_profiles_names_both_ends(tmp_path: Path) -> None:
    def both(text: str) -> str:
        return on("host1", "inference")(on("leaf1", "inference")(text))

    [(file, line, field, message)] = problems(inventory(tmp_path, both))
    assert (file, line, field) == ("links.yaml", 3, "links[1]")
    assert "leaf1:Ethernet8 (profile 'inference') - spine1:Ethernet0 (profile 'training') joins two profiles" in message


def test_a_whole_pod_on_one_profile_resolves_each_device_to_it(tmp_path: Path) -> None:
    """Profile by group: the lossy pod's intents are lossy (no PFC anywhere), the rest stay lossless."""
    inv = inventory(tmp_path)
    for name in ("hosts.yaml",):
        text = (inv / name).read_text().replace("groups: [sonic, spines]", "groups: [sonic, spines, pod]")
        text = text.replace("groups: [sonic, leaves]", "groups: [sonic, leaves, pod]")
        (inv / name).write_text(text.replace("groups: [rdma-hosts]", "groups: [rdma-hosts, pod]"))
    (inv / "groups.yaml").write_text((inv / "groups.yaml").read_text() + "pod:\n  data:\n    roce_profile: inference\n")
    loaded = load(inv)
    assert {i.policy.mode for i in loaded.intents.values()} == {RoceMode.lossy}
    assert all(p.lossless_priorities == () for i in loaded.intents.values() for p in i.ports.values())


def test_policy_validate_with_the_inventory_reports_the_link(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agent.cli import app

    inv = inventory(tmp_path, on("host1", "inference"))
    res = CliRunner().invoke(app, ["policy", "validate", str(inv / "policy.yaml"), "-i", str(inv)])
    assert res.exit_code == 2
    assert f"{inv / 'links.yaml'}:2: links[0]: host host1 (profile 'inference')" in res.stderr
    alone = CliRunner().invoke(app, ["policy", "validate", str(inv / "policy.yaml")])
    assert alone.exit_code == 0, alone.output  # the policy file by itself is fine
