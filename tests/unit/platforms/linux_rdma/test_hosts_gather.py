import json

import pytest
from host_fixtures import raw_from

from agent.errors import ParseError
from agent.platforms.linux_rdma.adapter import ADAPTER
from agent.platforms.linux_rdma.gather import HostRaw, gather_batch, native_from_raw


def test_one_batch_reads_every_object_of_every_interface() -> None:
    keys = [k for k, _ in gather_batch(["eth1", "eth2"])]
    for iface in ("eth1", "eth2"):
        for obj in ("pfc", "ets", "app", "buffer", "dcbx"):
            assert f"{iface}:dcb:{obj}" in keys
        for name in ("stats", "info", "pause"):
            assert f"{iface}:ethtool:{name}" in keys
    assert {"ip:link", "rdma:link", "rdma:dev", "rdma:statistic", "files", "files:tc", "uname"} <= set(keys)
    files = dict(gather_batch(["eth1"]))["files"]
    assert "/sys/class/net/eth1/ecn/roce_np/enable/3" in files.argv
    assert "/proc/sys/net/ipv4/tcp_ecn" in files.argv


def test_mlx5_defaults_are_read_into_native_state() -> None:
    host = native_from_raw(raw_from("mlx5_default"))
    nic = host.nics["eth1"]
    assert host.tool_versions == {"iproute2": "6.1.0", "dcb": "6.1.0", "rdma": "6.1.0", "ethtool": "6.1"}
    assert nic.pfc is not None
    assert nic.pfc.enabled == ()
    assert nic.pfc.delay == 7
    assert nic.ets is not None
    assert nic.ets.prio_tc == (1, 0, 2, 3, 4, 5, 6, 7)
    assert nic.app is not None
    assert nic.app.dscp == frozenset()
    assert nic.dcbx == frozenset({"cee", "ieee"})
    assert (nic.driver, nic.bus_info, nic.is_mlx5) == ("mlx5_core", "0000:08:00.0", True)
    assert (nic.pause_rx, nic.pause_tx) == (True, True)
    assert nic.link is not None
    assert (nic.link.mtu, nic.link.operstate) == (1500, "UP")
    assert nic.rdma is not None
    assert (nic.rdma.device, nic.rdma.state) == ("mlx5_0", "ACTIVE")
    assert nic.ecn_np == dict.fromkeys(range(8), True)
    assert (nic.cnp_dscp, nic.cnp_prio, nic.carrier_changes) == (48, 6, 2)
    assert host.tcp_ecn == 2
    assert host.traffic_class == {"mlx5_0/1": None}  # OFED file present but unset
    assert host.roce_tos == {}
    assert host.rdma_stats["mlx5_0/1"]["np_cnp_sent"] == 0
    assert nic.problems == []
    assert host.problems == []


def test_veth_named_instead_of_the_pf_is_reported_once_not_five_times() -> None:
    host = native_from_raw(raw_from("mlx5_default", "veth"))
    nic = host.nics["eth1"]
    assert not nic.dcb_supported
    assert [p.kind for p in nic.problems] == ["no_dcb"]
    assert "configure the physical function" in nic.problems[0].message
    assert nic.link is not None
    assert nic.link.kind == "veth"
    assert nic.rdma is None
    assert nic.pfc is None


def test_no_rdma_core_and_no_ethtool_are_host_problems_not_crashes() -> None:
    host = native_from_raw(raw_from("mlx5_default", "no_rdma"))
    assert [p.kind for p in host.problems] == ["no_rdma"]
    assert host.nics["eth1"].rdma is None
    host = native_from_raw(raw_from("mlx5_default", "no_ethtool"))
    nic = host.nics["eth1"]
    assert "ethtool" not in host.tool_versions
    assert any(p.kind == "tool_missing" and "ethtool" in p.message for p in host.problems)
    assert nic.driver == "mlx5_core"  # from sysfs uevent when ethtool is missing
    assert nic.pause_rx is None
    assert nic.ethtool_stats == {}


def test_raw_gather_round_trips_through_json() -> None:
    raw = raw_from("mlx5_default", "converged")
    again = HostRaw.from_dict(raw.to_dict())
    assert again.sections == raw.sections
    assert native_from_raw(again).nics["eth1"].pfc == native_from_raw(raw).nics["eth1"].pfc


def test_a_saved_snapshot_is_checked_offline_and_junk_is_refused() -> None:
    doc = json.loads(json.dumps(raw_from("mlx5_default", "converged").to_dict()))
    state = ADAPTER.normalize("host1", ADAPTER.load_raw("host1", doc))
    assert state.ports["eth1"].lossless_priorities == [3]
    with pytest.raises(ParseError, match="not a host gather snapshot"):
        ADAPTER.load_raw("host1", {"device": "host1"})
    doc["sections"]["eth1:dcb:pfc"]["output"] = "{not json"
    with pytest.raises(ParseError, match=r"dcb -j pfc show dev eth1: not JSON"):
        ADAPTER.normalize("host1", ADAPTER.load_raw("host1", doc))
