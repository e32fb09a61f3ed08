"""Lane count, gearbox, traffic pattern and shared-pool inputs on the CLI and in the policy.

Expected figures are real buffer_headroom_mellanox.lua outputs quoted in issue 19 and lua_headroom.csv
(SN4700 400G/40m/9100: 38912 / 112640 / 160768; SN3800 100G/40m xoff 65536 with its 400 ns gearbox).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.errors import InputError
from agent.policy.loader import load_policy
from agent.policy.resolve import effective_policy
from tests.lab_policy import profile_text

runner = CliRunner()
LAB = Path(__file__).parents[3] / "inventories" / "lab" / "policy.yaml"


def _headroom(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["policy", "headroom", "--json", *args])
    assert result.exit_code == 0, result.output
    doc: dict[str, object] = json.loads(result.stdout)
    return doc


def test_platform_brings_8_lanes_where_the_speed_runs_only_there() -> None:
    doc = _headroom("--platform", "x86_64-mlnx_msn4700-r0", "--speed", "400G", "--cable", "40m")
    assert (doc["xon"], doc["xoff"], doc["size"], doc["lanes"]) == (38912, 112640, 160768, 8)
    plain = _headroom("--asic", "spectrum3", "--speed", "400G", "--cable", "40m")  # no lane count: not 8-lane
    assert (plain["xon"], plain["size"]) == (19456, 132096)


def test_platform_brings_its_gearbox_and_an_explicit_delay_wins() -> None:
    doc = _headroom("--platform", "x86_64-mlnx_msn3800-r0", "--speed", "100G", "--cable", "40m")
    assert (doc["xoff"], doc["gearbox_delay_ns"]) == (65536, 400)
    assert _headroom("--platform", "x86_64-mlnx_msn3800-r0", "--speed", "100G", "--cable", "40m",
                     "--gearbox-delay", "0")["xoff"] == 53248  # fmt: skip


def test_spectrum6_and_shared_pool_and_small_packets() -> None:
    sn6600 = _headroom("--platform", "x86_64-nvidia_sn6600_ld-r0", "--speed", "800G", "--cable", "5m", "--lanes", "8")
    assert sn6600["xon"] == 2 * 42 * 1024
    shp = _headroom("--asic", "vs", "--speed", "100G", "--cable", "40m", "--over-subscribe-ratio", "2")
    assert (shp["size"], shp["xoff"], shp["shared_headroom_pool"]) == (shp["xon"], 46080, True)
    # buffer_pool_mellanox.lua: (2 PGs x xoff 46080 - 10 KiB private headroom) / ratio 2
    assert shp["shared_headroom_pool_size"] == (2 * 46080 - 10240) // 2
    many = _headroom(
        "--asic", "vs", "--speed", "100G", "--cable", "40m", "--over-subscribe-ratio", "2", "--ports", "32"
    )
    assert many["shared_headroom_pool_size"] == (32 * 2 * 46080 - 32 * 10240) // 2
    none = _headroom(
        "--asic", "vs", "--speed", "100G", "--cable", "40m", "--over-subscribe-ratio", "2", "--lossless-pgs", "0"
    )
    assert none["shared_headroom_pool_size"] == 655360  # nothing parked: the script's 640 KiB floor
    assert _headroom("--asic", "vs", "--speed", "100G", "--cable", "40m")["shared_headroom_pool_size"] is None
    worst = _headroom("--asic", "vs", "--speed", "100G", "--cable", "40m", "--small-packet-percentage", "100")
    assert worst["xoff"] == 81920


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--platform", "x86_64-nvidia_sn5600-r0", "--speed", "400G"], "on 8-lane and on narrower ports"),
        (["--platform", "x86_64-nvidia_sn5600-r0", "--speed", "800G", "--lanes", "4"], "only on 8-lane ports"),
        (["--platform", "x86_64-mlnx_msn2700-r0", "--speed", "400G"], "has no port at 400000 Mb/s; speeds: 10000"),
        (["--platform", "x86_64-nvidia_sn9999-r0", "--speed", "400G"], "unknown platform 'x86_64-nvidia_sn9999-r0'"),
        (["--asic", "tomahawk", "--speed", "400G"], "unknown ASIC 'tomahawk'"),
    ],
)
def test_bad_inputs_exit_2_saying_what_is_allowed(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["policy", "headroom", "--cable", "40m", *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_show_sizes_both_lane_kinds_when_the_platform_runs_both() -> None:
    result = runner.invoke(app, ["policy", "show", "--json", "--speed", "400G", "--platform",
                                 "x86_64-nvidia_sn5600-r0", str(LAB)])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["headroom"]
    assert {r["lanes"] for r in rows} == {None, 8}
    by_lanes = {(r["lanes"], r["cable_m"]): r for r in rows}
    assert by_lanes[(8, 40)]["xon"] == 2 * by_lanes[(None, 40)]["xon"]


def test_show_says_which_speeds_the_platform_cannot_run() -> None:
    result = runner.invoke(app, ["policy", "show", "--platform", "x86_64-mlnx_msn2700-r0", str(LAB)])
    assert result.exit_code == 0, result.output
    assert "note: no headroom row: x86_64-mlnx_msn2700-r0 has no port at 400000 Mb/s" in result.stderr
    assert "100G" in result.stdout


def test_policy_headroom_section_and_override(tmp_path: Path) -> None:
    text = profile_text("training") + (
        "headroom:\n  platform: x86_64-nvidia_sn5600-r0\n  small_packet_percentage: 40\n"
        "overrides:\n  - match: {group: old}\n    headroom: {platform: x86_64-mlnx_msn3800-r0}\n"
    )
    path = tmp_path / "p.yaml"
    path.write_text(text)
    policy = load_policy(path)
    assert policy.headroom.setup().asic.key == "MELLANOX-SPECTRUM-4"
    old = effective_policy(policy, "sw1", ["old"], None).headroom
    assert (old.platform, old.small_packet_percentage) == ("x86_64-mlnx_msn3800-r0", 40)
    assert old.setup().gearbox_delay_ns == 400


def test_unknown_platform_in_the_policy_is_located(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(profile_text("training") + "headroom:\n  platform: x86_64-mlnx_msn9999-r0\n")
    with pytest.raises(InputError) as info:
        load_policy(path)
    assert "headroom.platform: unknown platform 'x86_64-mlnx_msn9999-r0'" in str(info.value)
