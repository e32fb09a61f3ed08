"""Two counter reads -> the monitor's series: rates per second, gauges, resets, host-only series."""

from __future__ import annotations

from agent.counters import PortSample
from agent.monitor import metrics as M
from tests.unit.monitor.samples import HOST, SWITCH, host_sample, switch_sample


def values(points: list[M.Point], metric: M.Metric) -> dict[tuple[str, ...], float]:
    return {p.labels: p.value for p in points if p.metric is metric}


def test_rates_are_deltas_over_the_seconds_between_reads() -> None:
    before = switch_sample(100.0, pfc_rx={3: 1000}, pfc_tx={3: 5}, ecn_marked={3: 0}, drops={3: 0, 0: 10, 1: 0})
    now = switch_sample(110.0, pfc_rx={3: 51000}, pfc_tx={3: 5}, ecn_marked={3: 2000}, drops={3: 40, 0: 10, 1: 30})
    points = M.rates(before, now, SWITCH)
    assert values(points, M.PFC_RX) == {("leaf1", "Ethernet0", "3"): 5000.0}
    assert values(points, M.PFC_TX) == {("leaf1", "Ethernet0", "3"): 0.0}
    assert values(points, M.ECN) == {("leaf1", "Ethernet0", "3"): 200.0}
    assert values(points, M.DROPS) == {
        ("leaf1", "Ethernet0", "3", "true"): 4.0,  # a lossless priority: served, at zero too
        ("leaf1", "Ethernet0", "1", "false"): 3.0,  # a lossy queue: served only while it drops
    }


def test_other_priorities_are_served_only_while_not_zero() -> None:
    before = switch_sample(0.0, pfc_rx={p: 0 for p in range(8)})
    now = switch_sample(1.0, pfc_rx={0: 0, 1: 0, 3: 0, 4: 0, 5: 7, 6: 0, 7: 0, 2: 0})
    assert set(values(M.rates(before, now, SWITCH), M.PFC_RX)) == {
        ("leaf1", "Ethernet0", "3"),
        ("leaf1", "Ethernet0", "4"),  # the policy's lossless priorities
        ("leaf1", "Ethernet0", "5"),  # pauses where none belong
    }


def test_first_read_gives_gauges_only() -> None:
    points = M.rates(None, switch_sample(1.0, pfc_rx={3: 5}, headroom_wm_bytes={3: 1000}), SWITCH)
    assert {p.metric for p in points} == {M.HEADROOM}


def test_a_counter_that_went_down_gives_no_rate() -> None:
    points = M.rates(switch_sample(1.0, pfc_rx={3: 900}), switch_sample(2.0, pfc_rx={3: 10}), SWITCH)
    assert values(points, M.PFC_RX) == {}  # cleared or rebooted: no negative, no huge rate


def test_headroom_percent_only_where_xoff_is_known() -> None:
    ctx = M.DeviceContext("leaf1", False, frozenset({3, 4}), frozenset({3}), 6, xoff={("Ethernet0", 3): 2000})
    points = M.rates(None, switch_sample(1.0, headroom_wm_bytes={3: 1500, 4: 900}), ctx)
    assert values(points, M.HEADROOM_PCT) == {("leaf1", "Ethernet0", "3"): 75.0}
    assert len(values(points, M.HEADROOM)) == 2


def test_storm_series_is_one_while_stormed_or_when_a_new_storm_was_counted() -> None:
    before = switch_sample(1.0, wd_storms={3: 1, 4: 0})
    now = switch_sample(2.0, wd_storms={3: 1, 4: 1})
    now.ports["Ethernet0"].wd_stormed = {3}
    assert values(M.rates(before, now, SWITCH), M.WD_STORM) == {
        ("leaf1", "Ethernet0", "3"): 1.0,  # held in storm
        ("leaf1", "Ethernet0", "4"): 1.0,  # storm detected (and restored) within the interval
    }
    again = switch_sample(3.0, wd_storms={3: 1, 4: 1})
    assert set(values(M.rates(now, again, SWITCH), M.WD_STORM).values()) == {0.0}


def test_host_series_rdma_nic_pause_and_off_priority_traffic() -> None:
    before = PortSample(packets={0: 0, 3: 0, 6: 0}, pause_rx_us={3: 0}, rdma={"rx_write_requests": 0,
                        "roce_adp_retrans": 0, "np_cnp_sent": 0}, nic={"rx_discards_phy": 0})  # fmt: skip
    now = PortSample(packets={0: 5000, 3: 10, 6: 30}, pause_rx_us={3: 250_000}, rdma={"rx_write_requests": 900,
                     "roce_adp_retrans": 20, "np_cnp_sent": 10}, nic={"rx_discards_phy": 8})  # fmt: skip
    points = M.rates(host_sample(0.0, before), host_sample(2.0, now), HOST)
    assert values(points, M.OFF_PRIORITY) == {("host1", "eth1", "0"): 2500.0}  # neither RoCE (3) nor CNP (6)
    assert values(points, M.PAUSED) == {("host1", "eth1", "3"): 0.125}  # 0.25 s paused in 2 s
    assert values(points, M.RDMA_RETRANS) == {("host1", "eth1"): 10.0}
    assert values(points, M.RDMA_CNP_SENT) == {("host1", "eth1"): 5.0}
    assert values(points, M.NIC_DISCARDS) == {("host1", "eth1"): 4.0}


def test_no_off_priority_series_without_rdma_requests() -> None:
    before = PortSample(packets={0: 0}, rdma={"rx_write_requests": 5})
    now = PortSample(packets={0: 5000}, rdma={"rx_write_requests": 5})  # TCP only: RDMA idle
    assert values(M.rates(host_sample(0.0, before), host_sample(1.0, now), HOST), M.OFF_PRIORITY) == {}
