import json

import pytest
from host_fixtures import FIXTURES, host_intent, lab_policy, raw_from

from agent.errors import DeviceError
from agent.platforms.linux_rdma.adapter import ADAPTER
from agent.platforms.linux_rdma.gather import native_from_raw
from agent.platforms.linux_rdma.ops import AppDel, FileWrite
from agent.platforms.linux_rdma.plan import fingerprint
from agent.platforms.linux_rdma.render import ets_from_policy
from agent.policy.model import Policy, TrafficClass


def test_default_mlx5_plans_every_difference_in_a_safe_order() -> None:
    plan = ADAPTER.plan(host_intent(), raw_from("mlx5_default"))
    kinds = [op.kind for op in plan.operations]
    assert kinds[:6] == ["dcbx", "pause", "mtu", "ets", "app_replace", "pfc"]
    assert "buffer" not in kinds  # firmware (auto) buffer layout follows PFC by itself
    ops = {op.kind: op.model_dump() for op in plan.operations if op.kind != "file"}
    assert ops["app_replace"]["dscp_prio"] == [(26, 3), (48, 6)]
    assert ops["pfc"]["enabled"] == [3]
    assert ops["pfc"]["delay"] == 5
    assert ops["pfc"]["flaps_link"] is True
    assert ops["pfc"]["rdma"] == "mlx5_0/1"
    assert ops["ets"]["tsa"] == ["ets", "ets", "ets", "ets", "ets", "ets", "strict", "ets"]
    assert ops["ets"]["bw"] == [50, 0, 0, 50, 0, 0, 0, 0]
    assert ops["ets"]["prio_tc"] == [0, 0, 0, 3, 0, 0, 6, 0]
    assert ops["dcbx"]["flags"] == ["host", "ieee"]
    files = {op.path: op.model_dump() for op in plan.operations if isinstance(op, FileWrite)}
    # ECN only on the lossless priority: 7 NP + 7 RP files go from 1 to 0; priority 3 already 1.
    assert "/sys/class/net/eth1/ecn/roce_np/enable/3" not in files
    assert files["/sys/class/net/eth1/ecn/roce_rp/enable/0"]["value"] == "0"
    tos = files["/sys/kernel/config/rdma_cm/mlx5_0/ports/1/default_roce_tos"]
    assert (tos["value"], tos["mkdir"]) == ("106", "/sys/kernel/config/rdma_cm/mlx5_0")
    assert files["/sys/class/infiniband/mlx5_0/tc/1/traffic_class"]["value"] == "106"
    assert files["/proc/sys/net/ipv4/tcp_ecn"]["value"] == "1"
    assert not any("cnp_" in p for p in files)  # firmware defaults 48/6 already match
    assert "host1 eth1: mtu 1500 -> 9000" in plan.lines
    assert plan.base_fingerprint == fingerprint(native_from_raw(raw_from("mlx5_default")))
    json.dumps(plan.operations_json())  # plans travel as JSON


def test_converged_nic_plans_nothing_in_both_app_json_flavours() -> None:
    assert ADAPTER.plan(host_intent(), raw_from("mlx5_default", "converged")).empty
    assert ADAPTER.plan(host_intent(), raw_from("mlx5_default", "converged", "app_v65")).empty


def test_firmware_dscp_map_entries_that_contradict_the_policy_are_deleted() -> None:
    raw = raw_from("mlx5_default", "converged")
    fw_map = [[d, d >> 3] for d in range(64)]  # mlx5 pre-populates 64 entries when FW trust = dscp
    raw.sections["eth1:dcb:app"].output = json.dumps({"dscp_prio": fw_map})
    ops = ADAPTER.plan(host_intent(), raw).operations
    assert [op.kind for op in ops] == ["app_del"]
    assert isinstance(ops[0], AppDel)
    deleted = set(ops[0].dscp_prio)
    assert (26, 3) not in deleted
    assert (48, 6) not in deleted
    assert (7, 0) not in deleted
    assert (24, 3) in deleted
    assert (63, 7) in deleted
    assert len(deleted) == 64 - 8 - 2


def test_a_manual_buffer_layout_sharing_the_lossless_priority_is_rewritten_after_pfc() -> None:
    raw = raw_from("mlx5_default", "converged")
    raw.sections["eth1:dcb:buffer"].output = json.dumps(
        {
            "prio_buffer": [0, 0, 0, 0, 0, 0, 1, 0],
            "buffer_size": [130944, 65536, 0, 0, 0, 0, 0, 0],
            "total_size": 1048576,
        }
    )
    ops = ADAPTER.plan(host_intent(), raw).operations
    assert [op.kind for op in ops] == ["buffer"]
    assert ops[0].model_dump()["prio_buffer"] == [0, 0, 0, 1, 0, 0, 0, 0]
    raw.sections["eth1:dcb:buffer"].output = json.dumps(
        {
            "prio_buffer": [0, 0, 0, 2, 0, 0, 0, 0],
            "buffer_size": [130944, 0, 65536, 0, 0, 0, 0, 0],
            "total_size": 1048576,
        }
    )
    assert ADAPTER.plan(host_intent(), raw).empty  # isolated in buffer 2 with a size: fine as it is


def test_full_dscp_map_when_the_policy_asks_for_it() -> None:
    policy = lab_policy(dscp_map="full")
    ops = ADAPTER.plan(host_intent(policy), raw_from("mlx5_default", "converged")).operations
    assert [op.kind for op in ops] == ["app_replace"]
    assert len(ops[0].model_dump()["dscp_prio"]) == 62  # 26 and 48 are already there


def test_ets_weights_scale_to_100_and_cnp_is_always_strict() -> None:
    policy = Policy(
        classes=[
            TrafficClass(name="roce", dscp=[26], priority=3, lossless=True, scheduling={"weight": 3}),  # type: ignore[arg-type]
            TrafficClass(name="cnp", dscp=[48], priority=6, cnp=True),
            TrafficClass(name="bulk", priority=0, default=True, scheduling={"weight": 1}),  # type: ignore[arg-type]
        ]
    )
    tsa, bw, prio_tc = ets_from_policy(policy)
    assert tsa[6] == "strict"
    assert (bw[3], bw[0]) == (75, 25)
    assert sum(bw) == 100
    assert prio_tc == (0, 0, 0, 3, 0, 0, 6, 0)


def test_veth_is_refused_with_the_physical_function_hint() -> None:
    with pytest.raises(DeviceError, match="no DCB support on this interface, configure the physical function"):
        ADAPTER.plan(host_intent(), raw_from("mlx5_default", "veth"))


def test_firmware_lldp_owner_is_refused_with_how_to_hand_control_to_the_os() -> None:
    with pytest.raises(DeviceError, match=r"firmware LLDP/DCBX agent owns eth1.*niccli"):
        ADAPTER.plan(host_intent(), raw_from("mlx5_default", "bnxt_fw_lldp"))


def test_upstream_mlx5_reads_cnp_from_debugfs_and_warns_about_per_priority_ecn() -> None:
    raw = raw_from("mlx5_default", "converged", "upstream_mlx5")
    nic = native_from_raw(raw).nics["eth1"]
    assert (nic.cnp_dscp, nic.cnp_prio) == (48, 6)
    assert nic.cnp_dscp_path == "/sys/kernel/debug/mlx5/0000:08:00.0/cc_params/np_cnp_dscp"
    plan = ADAPTER.plan(host_intent(), raw)
    assert plan.empty
    assert any("ecn/roce_np" in w and "ROCE_CC_PRIO_MASK_P1" in w for w in plan.warnings)
    assert not any("CNP" in w for w in plan.warnings)
    raw.sections["files:debugfs"].output = raw.sections["files:debugfs"].output.replace(
        "np_cnp_dscp:48", "np_cnp_dscp:46"
    )
    (op,) = ADAPTER.plan(host_intent(), raw).operations
    assert isinstance(op, FileWrite)
    assert (op.path, op.value) == ("/sys/kernel/debug/mlx5/0000:08:00.0/cc_params/np_cnp_dscp", "48")


def test_cnp_unreadable_without_passwordless_sudo_is_a_warning() -> None:
    plan = ADAPTER.plan(host_intent(), raw_from("mlx5_default", "converged", "upstream_mlx5", "no_sudo"))
    assert plan.empty
    assert any("CNP DSCP/priority not readable" in w and "passwordless sudo" in w for w in plan.warnings)


def test_mlx5_cable_out_of_range_is_refused() -> None:
    with pytest.raises(DeviceError, match=r"1\.\.999 m"):
        ADAPTER.plan(host_intent(cable_m=1000), raw_from("mlx5_default"))


def test_fingerprint_ignores_counters_but_not_configuration() -> None:
    base = fingerprint(native_from_raw(raw_from("mlx5_default", "converged")))
    raw = raw_from("mlx5_default", "converged")
    raw.sections["eth1:ethtool:stats"].output = (
        (FIXTURES / "mlx5_default/eth1__ethtool__stats").read_text().replace("rx_packets: 1520", "rx_packets: 99999")
    )
    assert fingerprint(native_from_raw(raw)) == base
    raw.sections["eth1:dcb:pfc"].output = raw.sections["eth1:dcb:pfc"].output.replace('"delay":5', '"delay":7')
    assert fingerprint(native_from_raw(raw)) != base


def test_a_running_lldpad_is_a_warning_with_what_to_do() -> None:
    plan = ADAPTER.plan(host_intent(), raw_from("mlx5_default", "converged", "lldpad_running"))
    assert plan.empty
    assert any("lldpad is running" in w and "systemctl stop lldpad" in w for w in plan.warnings)
    assert not any("lldpad" in w for w in ADAPTER.plan(host_intent(), raw_from("mlx5_default")).warnings)
