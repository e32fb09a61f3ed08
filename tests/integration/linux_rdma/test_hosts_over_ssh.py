"""The host adapter over real SSH (asyncssh twin server, Netmiko `linux` runner) against an RDMA host twin.

Same code path as `roce-agent plan/apply` from the controller: NetmikoRunner -> marker-batched command
lines -> the lab's login shell -> the host twin. Round trips are counted on the runner.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pytest

from agent.intent import DeviceIntent, PortIntent
from agent.platforms.base import ApplyOptions, ApplyStatus
from agent.platforms.linux_rdma.adapter import HostAdapter
from agent.platforms.linux_rdma.apply import ApplySettings
from agent.platforms.linux_rdma.gather import native_from_raw
from agent.platforms.linux_rdma.plan import fingerprint
from agent.policy.model import Policy, TrafficClass
from agent.state import DeviceKind
from agent.transports.ssh import NetmikoRunner, SshTarget
from rocelab.host.twin import HostTwin
from rocelab.ssh import LabCredentials, TwinEndpoint, serve_twin
from rocelab.twin import TwinNic

pytestmark = pytest.mark.integration

PASSWORD = "host-lab-test-password"  # only used against the in-process twin of this test


@dataclass
class Lab:
    twin: HostTwin
    target: SshTarget


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    twin = HostTwin("host1", [TwinNic()])
    twin.inject_fault("flap-time", {"seconds": "0.4"})  # mlx5 PFC changes take the link down 0.4 s
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    endpoint = TwinEndpoint("host1", 0, lambda: twin, host_key)
    acceptor = asyncio.run_coroutine_threadsafe(serve_twin(endpoint, LabCredentials(password=PASSWORD)), loop).result(
        10
    )
    port = acceptor.get_port()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_key.export_public_key().decode()}")
    target = SshTarget("host1", "127.0.0.1", port, "admin", PASSWORD, known_hosts=str(known_hosts), timeout=10)
    try:
        yield Lab(twin, target)
    finally:
        loop.call_soon_threadsafe(endpoint.close_sessions)
        loop.call_soon_threadsafe(acceptor.close)  # asyncio servers are not thread-safe: close on their loop
        asyncio.run_coroutine_threadsafe(acceptor.wait_closed(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _intent() -> DeviceIntent:
    policy = Policy(
        classes=[
            TrafficClass(name="roce", dscp=[26], priority=3, lossless=True),
            TrafficClass(name="cnp", dscp=[48], priority=6, cnp=True, scheduling={"type": "strict"}),  # type: ignore[arg-type]
            TrafficClass(name="bulk", priority=0, default=True),
        ]
    )
    port = PortIntent(name="eth1", link_role="host", cable_m=5, mtu=9000, lossless_priorities=(3,))
    return DeviceIntent(name="host1", kind=DeviceKind.host, platform="linux-rdma", policy=policy, ports={"eth1": port})


def _adapter() -> HostAdapter:
    return HostAdapter(ApplySettings(link_timeout_s=20.0, poll_interval_s=0.2))


def test_gather_over_ssh_is_one_round_trip(lab: Lab) -> None:
    runner = NetmikoRunner.connect(lab.target)
    try:
        raw = _adapter().gather(runner, _intent())
        assert runner.round_trips == 1
        nic = native_from_raw(raw).nics["eth1"]
        assert nic.pfc is not None
        assert nic.rdma is not None
        assert nic.rdma.state == "ACTIVE"
    finally:
        runner.close()


def test_plan_apply_converge_over_ssh_with_the_link_flap_waited_out(lab: Lab) -> None:
    runner = NetmikoRunner.connect(lab.target)
    adapter, intent = _adapter(), _intent()
    try:
        plan = adapter.plan(intent, adapter.gather(runner, intent))
        assert any("mtu 1500 -> 9000" in line for line in plan.lines)
        trips = runner.round_trips
        outcome = adapter.apply(runner, intent, plan, ApplyOptions())
        assert outcome.status is ApplyStatus.applied, outcome.detail
        print(f"apply: {len(plan.operations)} operations in {runner.round_trips - trips} round trips")
        flap = [e for e in outcome.events if e.startswith("link flap on eth1")]
        assert flap, outcome.events
        assert "RDMA port ACTIVE" in flap[0]
        assert adapter.plan(intent, adapter.gather(runner, intent)).empty
    finally:
        runner.close()


def test_a_write_failing_over_ssh_is_rolled_back(lab: Lab) -> None:
    runner = NetmikoRunner.connect(lab.target)
    adapter, intent = _adapter(), _intent()
    try:
        raw = adapter.gather(runner, intent)
        before = fingerprint(native_from_raw(raw))
        plan = adapter.plan(intent, raw)
        lab.twin.inject_fault("fail-command", {"pattern": "tee /proc/sys/net/ipv4/tcp_ecn"})
        outcome = adapter.apply(runner, intent, plan, ApplyOptions())
        assert outcome.status is ApplyStatus.rolled_back, outcome.detail
        assert "tcp_ecn" in outcome.detail
        lab.twin.inject_fault("clear", {})
        lab.twin.inject_fault("flap-time", {"seconds": "0.4"})
        assert fingerprint(native_from_raw(adapter.gather(runner, intent))) == before
    finally:
        runner.close()


def test_a_session_dropped_mid_apply_is_reconnected_and_rolled_back(lab: Lab) -> None:
    runner = NetmikoRunner.connect(lab.target)
    adapter, intent = _adapter(), _intent()
    try:
        raw = adapter.gather(runner, intent)
        before = fingerprint(native_from_raw(raw))
        plan = adapter.plan(intent, raw)
        lab.twin.inject_fault("drop-after-commands", {"k": "3"})  # snapshot, configfs, the change line: lost
        outcome = adapter.apply(runner, intent, plan, ApplyOptions())
        assert outcome.status is ApplyStatus.rolled_back, outcome.detail
        assert "session" in outcome.detail
        assert fingerprint(native_from_raw(adapter.gather(runner, intent))) == before
    finally:
        runner.close()
