"""The host twin's traffic model: consistent with the configuration, monotonic, deterministic."""

from __future__ import annotations

import json

import pytest

from rocelab.host import HostTwin
from rocelab.twin import TwinNic

REFERENCE_ETHTOOL = (
    "rx_discards_phy",
    "tx_pause_storm_warning_events",
    "tx_pause_storm_error_events",
    "rx_buffer_passed_thres_phy",
    "rx_crc_errors_phy",
    "link_down_events_phy",
    "rx_prio3_packets",
    "tx_prio3_packets",
    "rx_prio3_discards",
    "rx_prio3_pause",
    "rx_prio3_pause_duration",
    "tx_prio3_pause",
    "tx_prio3_pause_duration",
)


def ethtool(host: HostTwin) -> dict[str, int]:
    lines = host.run("ethtool -S eth1", sudo=False).stdout.splitlines()
    assert lines[0] == "NIC statistics:"
    assert all(line.startswith("     ") for line in lines[1:])
    return {name.strip(): int(value) for name, value in (line.split(":") for line in lines[1:])}


def run_traffic(host: HostTwin, pattern: str, ticks: int = 1) -> None:
    """Start `pattern` on eth1 and let `ticks` shell commands pass (each advances the twin's clock)."""
    host.set_traffic("eth1", pattern)
    for _ in range(ticks):
        host.run("true", sudo=False)


def rdma(host: HostTwin) -> dict[str, int]:
    record = json.loads(host.run("rdma -j statistic show", sudo=False).stdout)[0]
    assert (record.pop("ifname"), record.pop("port")) == ("mlx5_0", 1)
    return record


def converged(seed: int = 0) -> HostTwin:
    """DSCP 26 -> prio 3 with PFC on 3 and RoCE ToS 106, like the lab policy."""
    host = HostTwin("host1", [TwinNic()], seed=seed, clock=lambda: 0.0)
    host.inject_fault("flap-time", {"seconds": "0"})
    for command in (
        "dcb app add dev eth1 dscp-prio 26:3 48:6",
        "dcb pfc set dev eth1 prio-pfc all:off 3:on",
        "mkdir /sys/kernel/config/rdma_cm/mlx5_0",
        "echo 106 | tee /sys/kernel/config/rdma_cm/mlx5_0/ports/1/default_roce_tos",
    ):
        assert host.run(command, sudo=True).exit_code == 0, command
    return host


def test_idle_host_counts_nothing() -> None:
    host = converged()
    for _ in range(5):
        host.run("true", sudo=False)
    stats = ethtool(host)
    assert stats.pop("link_down_events_phy") == 1  # the PFC change toggled the link once
    assert set(stats.values()) == {0}
    assert set(rdma(host).values()) == {0}


def test_names_from_the_reference_are_present_when_pfc_is_on() -> None:
    names = ethtool(converged())
    assert all(name in names for name in REFERENCE_ETHTOOL)
    assert "rx_prio2_pause" not in names  # mlx5 lists per-prio pause counters only for PFC priorities


def test_steady_traffic_lands_on_the_mapped_priority() -> None:
    host = converged()
    run_traffic(host, "steady", 3)
    stats = ethtool(host)
    assert stats["tx_prio3_packets"] > 0
    assert stats["rx_prio3_packets"] > 0
    assert stats["tx_prio0_packets"] == 0
    assert stats["rx_discards_phy"] == 0
    assert stats["tx_prio3_pause"] == 0


def test_untrusted_dscp_puts_roce_on_priority_zero() -> None:
    host = HostTwin("host1", [TwinNic()], clock=lambda: 0.0)
    run_traffic(host, "steady")
    stats = ethtool(host)
    assert stats["tx_prio0_packets"] > 0
    assert stats["tx_prio3_packets"] == 0


def test_incast_with_pfc_pauses_and_without_pfc_drops() -> None:
    lossless = converged()
    run_traffic(lossless, "incast")
    stats = ethtool(lossless)
    assert stats["rx_prio3_pause"] > 0
    assert stats["rx_discards_phy"] == 0
    both = lossless.run("dcb -j -s pfc show dev eth1; ethtool -S eth1", sudo=False).stdout  # one tick
    pfc = json.loads(both.splitlines()[0])
    assert f"     rx_prio3_pause: {pfc['indications'][3]}\n" in both
    assert f"     tx_prio3_pause: {pfc['requests'][3]}\n" in both

    lossy = converged()
    lossy.run("dcb pfc set dev eth1 prio-pfc all:off", sudo=True)
    run_traffic(lossy, "incast")
    stats = ethtool(lossy)
    assert stats["rx_discards_phy"] > 0
    assert stats["rx_prio3_discards"] > 0
    assert "rx_prio3_pause" not in stats
    assert rdma(lossy)["out_of_sequence"] > 0


def test_ecn_counters_need_np_and_rp_enabled_on_the_priority() -> None:
    on = converged()
    run_traffic(on, "incast")
    counters = rdma(on)
    assert counters["np_ecn_marked_roce_packets"] > 0
    assert counters["np_cnp_sent"] > 0
    assert counters["rp_cnp_handled"] > 0

    off = converged()
    off.run("echo 0 | tee /sys/class/net/eth1/ecn/roce_np/enable/3", sudo=True)
    off.run("echo 0 | tee /sys/class/net/eth1/ecn/roce_rp/enable/3", sudo=True)
    run_traffic(off, "incast")
    counters = rdma(off)
    assert counters["np_cnp_sent"] == counters["rp_cnp_handled"] == counters["np_ecn_marked_roce_packets"] == 0


def test_storm_fires_the_pause_storm_watchdog() -> None:
    host = converged()
    run_traffic(host, "storm", 4)
    stats = ethtool(host)
    assert stats["tx_pause_storm_warning_events"] > 0
    assert stats["tx_pause_storm_error_events"] > 0
    assert stats["tx_prio3_pause"] > 0


@pytest.mark.parametrize("pattern", ["steady", "incast", "storm"])
def test_counters_only_increase_across_config_and_pattern_changes(pattern: str) -> None:
    host = converged()
    host.set_traffic("eth1", pattern)
    previous = {**ethtool(host), **rdma(host)}
    for step in range(6):
        if step == 2:
            host.run("dcb pfc set dev eth1 prio-pfc all:off", sudo=True)
        if step == 4:
            host.set_traffic("eth1", "idle")
        current = {**ethtool(host), **rdma(host)}
        assert all(current.get(name, value) >= value for name, value in previous.items())
        previous |= current


def test_same_seed_same_counters() -> None:
    outputs = []
    for _ in range(2):
        host = converged(seed=7)
        host.set_traffic("eth1", "incast")
        host.run("true", sudo=False)
        outputs.append(host.run("ethtool -S eth1; rdma -j statistic show", sudo=False).stdout)
    assert outputs[0] == outputs[1]


def test_bad_traffic_requests_are_refused() -> None:
    host = converged()
    with pytest.raises(ValueError, match="unknown traffic pattern"):
        host.set_traffic("eth1", "burst")
    with pytest.raises(ValueError, match="no NIC"):
        host.set_traffic("eth7", "steady")
    assert host.set_traffic("mlx5_0/1", "steady") == "host1 eth1: traffic steady"


def test_counters_stop_while_the_link_is_down() -> None:
    host = converged()
    host.set_traffic("eth1", "steady")
    host.run("ip link set dev eth1 down", sudo=True)
    before = ethtool(host)["tx_prio3_packets"]
    for _ in range(3):
        host.run("true", sudo=False)
    assert ethtool(host)["tx_prio3_packets"] == before


def test_bnxt_counters_use_the_bnxt_names() -> None:
    host = HostTwin("host1", [TwinNic(driver="bnxt_en", rdma_device="bnxt_re0")], clock=lambda: 0.0)
    run_traffic(host, "steady")
    stats = ethtool(host)
    assert stats["rx_ucast_packets"] > 0
    assert "rx_pfc_ena_frames_pri3" in stats
    assert "rx_prio3_pause" not in stats
