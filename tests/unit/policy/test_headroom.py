"""Headroom math against the worked numbers of lossless-engineering.md §1.5 (to the byte) and §1.2/§1.5 text."""

from __future__ import annotations

import pytest

from agent.policy.headroom import (
    Headroom,
    TrafficPattern,
    cable_round_trip_bytes,
    dynamic_headroom,
    minimum_xoff,
    peer_response_bytes,
    physical_headroom_bound,
)
from agent.policy.platforms import asic_params

# speed, cable, wire RTT, peer response, SPC3 (xoff, size), SPC4 (xoff, size) or None, vs (xoff, size), physical
REFERENCE_TABLE = [
    (100_000, 5, 631, 25_216, (48_128, 67_584), None, (44_032, 62_464), 59_717),
    (100_000, 40, 5_051, 25_216, (53_248, 72_704), None, (48_128, 66_560), 64_092),
    (100_000, 300, 37_879, 25_216, (94_208, 113_664), None, (84_992, 103_424), 96_592),
    (400_000, 5, 2_525, 57_920, (90_112, 109_568), (98_304, 117_760), (81_920, 100_352), 78_936),
    (400_000, 40, 20_202, 57_920, (112_640, 132_096), (119_808, 139_264), (102_400, 120_832), 96_436),
    (400_000, 300, 151_515, 57_920, (274_432, 293_888), (281_600, 301_056), (248_832, 267_264), 226_436),
]
IDS = [f"{s // 1000}G-{c}m" for s, c, *_ in REFERENCE_TABLE]


@pytest.mark.parametrize(("speed", "cable", "rtt", "peer", "spc3", "spc4", "vs", "physical"), REFERENCE_TABLE, ids=IDS)
def test_reference_table_to_the_byte(
    speed: int,
    cable: int,
    rtt: int,
    peer: int,
    spc3: tuple[int, int],
    spc4: tuple[int, int] | None,
    vs: tuple[int, int],
    physical: int,
) -> None:
    assert round(cable_round_trip_bytes(speed, cable)) == rtt
    assert peer_response_bytes(speed, asic_params("spectrum3")) == peer
    assert dynamic_headroom(speed, cable, 9100, "spectrum3") == Headroom(xon=19_456, xoff=spc3[0], size=spc3[1])
    if spc4 is not None:
        assert dynamic_headroom(speed, cable, 9100, "spectrum4") == Headroom(xon=19_456, xoff=spc4[0], size=spc4[1])
    assert dynamic_headroom(speed, cable) == Headroom(xon=18_432, xoff=vs[0], size=vs[1])  # defaults: MTU 9100, vs
    assert physical_headroom_bound(speed, cable) == physical


@pytest.mark.parametrize(("cable", "xoff", "size"), [(5, 44_032, 63_488), (40, 48_128, 67_584), (300, 84_992, 104_448)])
def test_spectrum1_dynamic_values_from_the_reference_text(cable: int, xoff: int, size: int) -> None:
    # §1.5: "SPC1 100G dynamic: 5m 63,488 / 40m 67,584 / 300m 104,448 size (xoff 44,032/48,128/84,992)"
    assert dynamic_headroom(100_000, cable, asic="spectrum1") == Headroom(xon=19_456, xoff=xoff, size=size)


def test_compensation_adds_2kib_to_the_published_plugin_output() -> None:
    # sonic-swss PR #3235 (byte-based small-packet %, before the 2 KiB compensation of PR #4757) published
    # SPC3 100G/40m xoff 51200 and 400G/300m xoff 272384; the compensation adds exactly 2048 on top.
    assert dynamic_headroom(100_000, 40, asic="spectrum3").xoff == 51_200 + 2048
    assert dynamic_headroom(400_000, 300, asic="spectrum3").xoff == 272_384 + 2048


def test_no_compensation_with_all_small_packets_or_shared_pool() -> None:
    worst = dynamic_headroom(100_000, 40, asic="vs", pattern=TrafficPattern(small_packet_percentage=100))
    # 100 % small packets: cell occupancy = worst case factor 2 for a 128 B cell, no +2 KiB.
    assert worst.xoff == 81_920
    shp = dynamic_headroom(100_000, 40, asic="vs", shared_headroom_pool=True)
    assert shp == Headroom(xon=18_432, xoff=46_080, size=18_432)  # size = xon only, xoff without the +2 KiB


def test_port_mtu_and_cable_raise_xoff() -> None:
    base = dynamic_headroom(400_000, 40, 9100, "vs")
    assert dynamic_headroom(400_000, 40, 1500, "vs").xoff < base.xoff
    assert dynamic_headroom(400_000, 41, 9100, "vs").xoff >= base.xoff
    assert all(v % 1024 == 0 for v in (base.xon, base.xoff, base.size))


def test_unknown_speed_falls_back_to_the_asic_peer_response_time() -> None:
    # 2.5G has no IEEE pause-quanta entry: the plugin uses ASIC_TABLE.peer_response_time (3.8 KB).
    assert peer_response_bytes(2_500, asic_params("vs")) == pytest.approx(3.8 * 1024)
    assert dynamic_headroom(2_500, 5).xon == 18_432
    with pytest.raises(ValueError, match="no IEEE pause-quanta bound"):
        physical_headroom_bound(2_500, 5)


def test_unknown_asic_and_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown ASIC 'tomahawk'"):
        dynamic_headroom(100_000, 5, asic="tomahawk")
    with pytest.raises(ValueError, match="positive"):
        dynamic_headroom(0, 5)


def test_asic_aliases_cover_spectrum_1_to_6_and_vs() -> None:
    assert asic_params("vs").cell_size == 128
    assert [asic_params(f"spectrum{n}").cell_size for n in range(1, 7)] == [96, 144, 144, 192, 192, 256]
    assert asic_params("spectrum6").pipeline_latency_kb == 42
    assert asic_params("MELLANOX-SPECTRUM-4") == asic_params("spectrum4")


def test_physical_bound_is_above_sonic_xoff_at_100g() -> None:
    # Documented caution: the vendor-neutral bound (2 jumbo frames + IEEE interface delay) exceeds what
    # SONiC programs at 100G, so it must not be used as a hard floor for a SONiC switch's xoff.
    for cable in (5, 40, 300):
        bound = physical_headroom_bound(100_000, cable)
        assert dynamic_headroom(100_000, cable, asic="spectrum3").xoff < bound
        assert dynamic_headroom(100_000, cable, asic="vs").xoff < bound


# Every SONiC xoff in lossless-engineering.md §1.5 (SPC3, SPC4, docker-sonic-vs) at port MTU 9100.
SONIC_REFERENCE_XOFF = [
    (100_000, 5, (48_128, 44_032)),
    (100_000, 40, (53_248, 48_128)),
    (100_000, 300, (94_208, 84_992)),
    (400_000, 5, (90_112, 98_304, 81_920)),
    (400_000, 40, (112_640, 119_808, 102_400)),
    (400_000, 300, (274_432, 281_600, 248_832)),
]


@pytest.mark.parametrize(("speed", "cable", "xoffs"), SONIC_REFERENCE_XOFF)
def test_minimum_xoff_is_below_every_healthy_sonic_profile(speed: int, cable: int, xoffs: tuple[int, ...]) -> None:
    floor = minimum_xoff(speed, cable, 9100)
    assert all(floor < x for x in xoffs)
    assert floor > xoffs[-1] // 2  # and not a vacuous floor


def test_minimum_xoff_flags_a_td2_row_reused_for_400g() -> None:
    # TD2 BALANCED ships xoff 55120 for every speed; at 400G/40m the sender cannot be stopped in time.
    assert minimum_xoff(400_000, 40, 9100) > 55_120
