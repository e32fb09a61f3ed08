"""DCQCN and NCCL settings round-trip plan -> apply -> audit -> rollback over real SSH on the host twin.

Same path as `roce-agent plan/apply/audit/rollback` from the controller: Netmiko `linux` runner ->
marker-batched command lines -> the lab's login shell -> the twin. The new /etc/nccl.conf travels as one
shlex-quoted multi-line argument of `printf '%s' ... | sudo tee`, so this also proves that a whole file
survives the SSH command line byte for byte.
"""

from __future__ import annotations

import asyncio
import shlex
import threading
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from agent.checks.engine import run_checks
from agent.checks.finding import Severity
from agent.intent import DeviceIntent, PortIntent
from agent.platforms.base import ApplyOptions, ApplyStatus
from agent.platforms.linux_rdma.adapter import HostAdapter
from agent.platforms.linux_rdma.apply import ApplySettings
from agent.platforms.linux_rdma.ops import FileWrite, NcclConf
from agent.policy.model import Policy
from agent.state import DeviceKind
from agent.topology.model import Topology
from agent.transports.ssh import NetmikoRunner, SshTarget
from rocelab.host.twin import HostTwin
from rocelab.ssh import LabCredentials, TwinEndpoint, serve_twin
from rocelab.twin import TwinNic

pytestmark = pytest.mark.integration

PASSWORD = "host-lab-test-password"  # only used against the in-process twin of this test
POLICY = {
    "baseline": "nvidia-roce",
    "host": {"dcqcn": {"reaction_point": {"rpg_time_reset": 150, "rpg_min_dec_fac": 30},
                       "notification_point": {"min_time_between_cnps": 2}}},
    "nccl": {"qps_per_connection": 4, "min_qps_per_connection": 2, "settings": {"NCCL_IB_HCA": "=mlx5_0"}},
}  # fmt: skip
SITE = "# written by the site's image\nNCCL_DEBUG=WARN\nNCCL_IB_TC=0\nNCCL_SOCKET_IFNAME==eth0\nNCCL_IB_TC=5\n"


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[HostTwin, SshTarget]]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    twin = HostTwin("host1", [TwinNic()])
    twin.inject_fault("flap-time", {"seconds": "0.4"})  # mlx5 PFC changes take the link down 0.4 s
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    endpoint = TwinEndpoint("host1", 0, lambda: twin, host_key)
    serving = serve_twin(endpoint, LabCredentials(password=PASSWORD))
    acceptor = asyncio.run_coroutine_threadsafe(serving, loop).result(10)
    port = acceptor.get_port()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_key.export_public_key().decode()}")
    try:
        yield twin, SshTarget("host1", "127.0.0.1", port, "admin", PASSWORD, known_hosts=str(known_hosts), timeout=10)
    finally:
        loop.call_soon_threadsafe(endpoint.close_sessions)
        loop.call_soon_threadsafe(acceptor.close)
        asyncio.run_coroutine_threadsafe(acceptor.wait_closed(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _intent() -> DeviceIntent:
    policy = Policy.model_validate(POLICY)
    port = PortIntent(name="eth1", link_role="host", cable_m=5, mtu=9000, lossless_priorities=(3,))
    return DeviceIntent(name="host1", kind=DeviceKind.host, platform="linux-rdma", policy=policy, ports={"eth1": port})


def _audit(adapter: HostAdapter, runner: NetmikoRunner, intent: DeviceIntent) -> list[str]:
    state = adapter.normalize("host1", adapter.gather(runner, intent))
    findings = run_checks({"host1": intent}, {"host1": state}, Topology())
    return sorted(f"{f.check_id} {f.actual}" for f in findings if f.severity is not Severity.info)


@pytest.mark.parametrize("existing", [None, SITE], ids=["fresh-host", "site-file"])
def test_dcqcn_and_nccl_round_trip_and_rollback_restores_the_file(
    lab: tuple[HostTwin, SshTarget], existing: str | None
) -> None:
    twin, target = lab
    if existing is not None:
        assert twin.run(f"printf '%s' {shlex.quote(existing)} | tee /etc/nccl.conf", sudo=True).exit_code == 0
    runner = NetmikoRunner.connect(target)
    adapter = HostAdapter(ApplySettings(link_timeout_s=20.0, poll_interval_s=0.2))
    intent = _intent()
    try:
        before = _audit(adapter, runner, intent)
        assert any(b.startswith("HOST-NCCL-001") for b in before), before
        assert any(b.startswith("HOST-DCQCN-001") for b in before), before
        plan = adapter.plan(intent, adapter.gather(runner, intent))
        [nccl] = [op for op in plan.operations if isinstance(op, NcclConf)]
        dcqcn = {op.path.rsplit("/", 1)[-1] for op in plan.operations if isinstance(op, FileWrite)}
        assert {"rpg_time_reset", "rpg_min_dec_fac", "min_time_between_cnps"} <= dcqcn
        outcome = adapter.apply(runner, intent, plan, ApplyOptions())
        assert outcome.status is ApplyStatus.applied, outcome.detail
        assert (twin.read_file("/etc/nccl.conf") or b"").decode() == nccl.content
        assert adapter.plan(intent, adapter.gather(runner, intent)).empty
        assert _audit(adapter, runner, intent) == []
        assert adapter.rollback(runner) is not None
        restored = twin.read_file("/etc/nccl.conf")
        assert restored == (existing.encode() if existing is not None else None)
        state = adapter.normalize("host1", adapter.gather(runner, intent))
        nic = state.ports["eth1"].nic
        assert nic is not None
        assert (nic.dcqcn["rp/rpg_time_reset"], nic.dcqcn["np/min_time_between_cnps"]) == (300, 4)  # firmware's
    finally:
        runner.close()


def test_a_hand_edited_nccl_conf_is_caught_by_the_audit_and_fixed_by_apply(lab: tuple[HostTwin, SshTarget]) -> None:
    twin, target = lab
    runner = NetmikoRunner.connect(target)
    adapter = HostAdapter(ApplySettings(link_timeout_s=20.0, poll_interval_s=0.2))
    intent = _intent()
    try:
        assert adapter.apply(runner, intent, adapter.plan(intent, adapter.gather(runner, intent)), ApplyOptions())
        edited = "NCCL_IB_TC=96\nNCCL_IB_GID_INDEX=2\nNCCL_IB_QPS_PER_CONNECTION=1\nNCCL_IB_HCA==mlx5_0\n"
        assert twin.run(f"printf '%s' {shlex.quote(edited)} | tee /etc/nccl.conf", sudo=True).exit_code == 0
        found = _audit(adapter, runner, intent)
        assert [f.split()[0] for f in found] == ["HOST-NCCL-001", "HOST-NCCL-002", "HOST-NCCL-003"], found
        assert "index 2 is IB/RoCE v1" in found[1]
        outcome = adapter.apply(runner, intent, adapter.plan(intent, adapter.gather(runner, intent)), ApplyOptions())
        assert outcome.status is ApplyStatus.applied, outcome.detail
        assert _audit(adapter, runner, intent) == []
    finally:
        runner.close()
