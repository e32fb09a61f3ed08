import pytest
from host_fixtures import raw_from

from agent.platforms.linux_rdma.adapter import ADAPTER
from agent.platforms.linux_rdma.normalize import roce_mtu
from agent.state import DeviceKind, TrustMode


def test_converged_nic_as_device_state() -> None:
    state = ADAPTER.normalize("host1", raw_from("mlx5_default", "converged"))
    assert (state.kind, state.platform, state.os_version) == (DeviceKind.host, "linux-rdma", "6.1.0-18-amd64")
    port = state.ports["eth1"]
    assert port.trust is TrustMode.dscp
    assert port.dscp_to_priority == {26: 3, 48: 6}
    assert port.lossless_priorities == [3]
    assert port.priority_to_queue == {0: 0, 1: 0, 2: 0, 3: 3, 4: 0, 5: 0, 6: 6, 7: 0}
    assert port.queues[6].scheduler is not None
    assert port.queues[6].scheduler.type == "strict"
    assert port.queues[3].scheduler is not None
    assert port.queues[3].scheduler.weight == 50
    assert port.queues[3].ecn is not None
    assert port.queues[3].ecn.enabled
    assert port.queues[0].ecn is not None
    assert not port.queues[0].ecn.enabled
    assert (port.mtu, port.oper_up, port.cable_m) == (9000, True, 5)
    nic = port.nic
    assert nic is not None
    assert (nic.roce_tos, nic.roce_mode, nic.tcp_ecn) == (106, "RoCE v2", 1)
    assert nic.roce_mtu == 4096
    assert (nic.cnp_dscp, nic.cnp_priority, nic.pfc_delay) == (48, 6, 5)
    assert nic.prio_buffer[3] == 1
    assert nic.buffer_size[1] == 130944
    assert (nic.rdma_device, nic.rdma_state, nic.dcbx_owner) == ("mlx5_0", "ACTIVE", "host")
    assert (nic.global_pause_rx, nic.global_pause_tx) == (False, False)
    assert port.counters is not None
    assert port.counters.pfc_tx[3] == 0
    assert state.raw_errors == []


def test_defaults_mean_trust_pcp_and_no_lossless_priority() -> None:
    port = ADAPTER.normalize("host1", raw_from("mlx5_default")).ports["eth1"]
    assert port.trust is TrustMode.pcp
    assert port.dscp_to_priority == {}
    assert port.lossless_priorities == []
    assert port.nic is not None
    assert port.nic.dcbx_owner == "firmware"


def test_unreadable_parts_are_none_with_the_reason_in_raw_errors() -> None:
    state = ADAPTER.normalize("host1", raw_from("mlx5_default", "veth"))
    port = state.ports["eth1"]
    assert port.trust is None
    assert port.lossless_priorities == []
    assert port.nic is not None
    assert port.nic.dcb_supported is False
    assert any("configure the physical function" in e for e in state.raw_errors)


@pytest.mark.parametrize(
    ("mtu", "roce"), [(9000, 4096), (4200, 4096), (4192, 4096), (4191, 2048), (1500, 1024), (300, None)]
)
def test_roce_mtu_follows_the_kernel_rule(mtu: int, roce: int | None) -> None:
    assert roce_mtu(mtu) == roce
