"""The host counters-only read: `ethtool -S` and `rdma statistic` outputs -> CounterSample, one round trip."""

from __future__ import annotations

import json
from pathlib import Path

from host_fixtures import twin_host

from agent.platforms.base import CountersRead
from agent.platforms.linux_rdma.adapter import ADAPTER
from agent.platforms.linux_rdma.batch import Section
from agent.platforms.linux_rdma.counters import parse_counters, read_counters

MLX5 = Path(__file__).parents[3] / "fixtures" / "hosts" / "mlx5"


def sections(stats: dict[str, int] | None = None, rdma_rc: int = 0) -> dict[str, Section]:
    rdma = json.loads((MLX5 / "rdma-j-statistic-idle.json").read_text())
    rdma[0].update(stats or {})
    return {
        "eth1:ethtool:stats": Section((MLX5 / "ethtool-S-prio3.txt").read_text(), 0),
        "rdma:link": Section((MLX5 / "rdma-j-link.json").read_text(), 0),
        "rdma:statistic": Section(json.dumps(rdma) if rdma_rc == 0 else "rdma: command not found\n", rdma_rc),
    }


def test_the_adapter_has_the_capability() -> None:
    assert isinstance(ADAPTER, CountersRead)


def test_mlx5_priority_counters_and_rdma_counters_land_on_the_netdev() -> None:
    sample = parse_counters("host1", ["eth1"], sections({"np_cnp_sent": 40, "roce_adp_retrans": 3}), 1.0)
    eth1 = sample.ports["eth1"]
    assert eth1.pfc_rx == {3: 321}
    assert eth1.pfc_tx == {3: 12}
    assert eth1.pause_rx_us == {3: 64000}  # rx_prio3_pause_duration, microseconds
    assert eth1.ecn_marked == {3: 1234}
    assert eth1.drops == {0: 2, 3: 0}
    assert eth1.packets == {0: 4000, 3: 880000, 6: 77}  # tx_prio{p}_packets: what the host sends per priority
    assert eth1.nic["rx_discards_phy"] == 7
    assert eth1.nic["tx_pause_ctrl_phy"] == 0
    assert eth1.rdma["np_cnp_sent"] == 40
    assert eth1.rdma["roce_adp_retrans"] == 3


def test_missing_rdma_tool_leaves_a_note_and_the_ethtool_counters() -> None:
    sample = parse_counters("host1", ["eth1"], sections(rdma_rc=127), 1.0)
    assert sample.ports["eth1"].pfc_rx == {3: 321}
    assert not sample.ports["eth1"].rdma
    assert sample.notes
    assert "rdma statistic" in sample.notes[0]


def test_one_round_trip_on_the_host_twin() -> None:
    _twin, runner, _clock = twin_host()
    sample = read_counters(runner, ["eth1"])
    assert runner.round_trips == 1
    assert sample.round_trips == 1
    assert "ethtool -S eth1" in runner.commands[0]
    assert "rdma -j statistic show" in runner.commands[0]
    assert "dcb" not in runner.commands[0]  # counters only: no configuration read
