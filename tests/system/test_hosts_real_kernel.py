"""The host adapter against the real kernel: a veth pair in a fresh network namespace, real `ip`/`dcb`.

A veth has no DCB ops, exactly like a VLAN, bond or VF named instead of the physical function: the real
`dcb` must refuse, the agent must say what to do, and nothing on the interface may change.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyroute2 import IPRoute, netns

from agent.intent import DeviceIntent, PortIntent
from agent.platforms.base import ApplyOptions, ApplyStatus, ChangePlan
from agent.platforms.linux_rdma.adapter import ADAPTER
from agent.platforms.linux_rdma.executors import LocalRunner, Pyroute2LinkWaiter
from agent.platforms.linux_rdma.snapshots import STATE_DIR
from agent.policy.model import Policy, TrafficClass
from agent.state import DeviceKind

pytestmark = pytest.mark.system


def remove_host_state(netns_name: str) -> None:
    """Apply keeps before-snapshots under /var/tmp/roce-agent/netns-NAME; the namespace is gone, so are they."""
    shutil.rmtree(Path(STATE_DIR) / f"netns-{netns_name}", ignore_errors=True)
    with contextlib.suppress(OSError):
        Path(STATE_DIR).rmdir()  # only when nothing else is kept there


IF, PEER = "rav0", "rav1"


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces, veth, writing /proc/sys inside the namespace)"
    missing = [tool for tool in ("ip", "dcb") if shutil.which(tool) is None]
    return f"needs iproute2 tools: {', '.join(missing)} not found" if missing else None


@pytest.fixture
def ns() -> Iterator[str]:
    reason = _skip_reason()
    if reason:
        print(f"SKIP system test: {reason}")
        pytest.skip(reason)
    name = f"ra-host-{uuid.uuid4().hex[:8]}"
    netns.create(name)
    try:
        with IPRoute(netns=name, flags=0) as ipr:
            ipr.link("add", ifname=IF, kind="veth", peer={"ifname": PEER})
            for ifname in (IF, PEER):
                ipr.link("set", index=ipr.link_lookup(ifname=ifname)[0], mtu=1500, state="up")
        yield name
    finally:
        netns.remove(name)
        remove_host_state(name)
    assert name not in netns.listnetns()


def _mtu(name: str) -> int:
    with IPRoute(netns=name, flags=0) as ipr:
        return int(ipr.link("get", index=ipr.link_lookup(ifname=IF)[0])[0].get("mtu"))


def _link_facts(name: str) -> dict[str, object]:
    """What a write could have changed on the veth, read with pyroute2 (not with the tools under test)."""
    with IPRoute(netns=name, flags=0) as ipr:
        (msg,) = ipr.link("get", index=ipr.link_lookup(ifname=IF)[0])
        facts = {key: msg.get(key) for key in ("mtu", "operstate", "txqlen", "address", "qdisc", "carrier_changes")}
        facts["flags"] = msg["flags"]
        facts["qdiscs"] = sorted(m.get("kind") for m in ipr.get_qdiscs(index=msg["index"]))
        return facts


def _tcp_ecn(name: str) -> str:
    runner = LocalRunner("ns", netns=name)
    return runner.run("cat /proc/sys/net/ipv4/tcp_ecn").output.strip()


def _intent() -> DeviceIntent:
    policy = Policy(
        classes=[
            TrafficClass(name="roce", dscp=[26], priority=3, lossless=True),
            TrafficClass(name="cnp", dscp=[48], priority=6, cnp=True, scheduling={"type": "strict"}),  # type: ignore[arg-type]
            TrafficClass(name="bulk", priority=0, default=True),
        ]
    )
    port = PortIntent(name=IF, link_role="host", cable_m=5, mtu=9000, lossless_priorities=(3,))
    return DeviceIntent(name="ns-host", kind=DeviceKind.host, platform="linux-rdma", policy=policy, ports={IF: port})


def test_gather_is_one_round_trip_and_reports_no_dcb_on_the_veth(ns: str) -> None:
    runner = LocalRunner("ns-host", netns=ns)
    raw = ADAPTER.gather(runner, _intent())
    assert runner.round_trips == 1
    assert raw.sections[f"{IF}:dcb:pfc"].rc == 1
    assert "Attribute read: Operation not supported" in raw.sections[f"{IF}:dcb:pfc"].output
    state = ADAPTER.normalize("ns-host", raw)
    port = state.ports[IF]
    assert port.mtu == 1500
    assert port.nic is not None
    assert port.nic.dcb_supported is False
    assert any("no DCB support on this interface, configure the physical function" in e for e in state.raw_errors)
    assert state.tool_versions["dcb"].startswith(("5.", "6.", "7."))


def test_plan_refuses_the_veth_and_changes_nothing(ns: str) -> None:
    runner = LocalRunner("ns-host", netns=ns)
    intent = _intent()
    before, facts = _tcp_ecn(ns), _link_facts(ns)
    with pytest.raises(Exception, match="no DCB support on this interface, configure the physical function"):
        ADAPTER.plan(intent, ADAPTER.gather(runner, intent))
    assert _mtu(ns) == 1500
    assert _link_facts(ns) == facts
    assert _tcp_ecn(ns) == before


def test_apply_refuses_before_writing_when_the_plan_touches_dcb(ns: str) -> None:
    runner = LocalRunner("ns-host", netns=ns)
    facts = _link_facts(ns)
    ops = [
        {"interface": IF, "kind": "mtu", "mtu": 9000, "summary": "mtu 1500 -> 9000"},
        {"interface": IF, "kind": "pfc", "enabled": [3], "delay": None, "flaps_link": False, "rdma": None,
         "summary": "pfc prio-pfc 3"},
    ]  # fmt: skip
    outcome = ADAPTER.apply(
        runner, _intent(), ChangePlan("ns-host", "linux-rdma", ADAPTER.load_operations("ns-host", ops)), ApplyOptions()
    )
    assert outcome.status is ApplyStatus.rolled_back
    assert "refused before any write" in outcome.detail
    assert "configure the physical function" in outcome.detail
    assert _mtu(ns) == 1500
    assert _link_facts(ns) == facts


def test_a_failed_write_restores_mtu_and_sysctl_on_the_real_kernel(ns: str) -> None:
    """tcp_ecn (per namespace) and MTU (pyroute2) are written, then global pause fails on the veth."""
    runner = LocalRunner("ns-host", netns=ns)
    before = _tcp_ecn(ns)
    assert before != "1"
    ops = [
        {"interface": IF, "kind": "file", "path": "/proc/sys/net/ipv4/tcp_ecn", "value": "1", "expect": "1",
         "mkdir": None, "summary": f"tcp_ecn {before} -> 1"},
        {"interface": IF, "kind": "mtu", "mtu": 9000, "summary": "mtu 1500 -> 9000"},
        {"interface": IF, "kind": "pause", "rx": False, "tx": False, "summary": "global pause rx off tx off"},
    ]  # fmt: skip
    outcome = ADAPTER.apply(
        runner, _intent(), ChangePlan("ns-host", "linux-rdma", ADAPTER.load_operations("ns-host", ops)), ApplyOptions()
    )
    assert outcome.status is ApplyStatus.rolled_back, outcome.detail
    assert "global pause" in outcome.detail
    assert "snapshot restored and verified" in outcome.detail
    assert _mtu(ns) == 1500
    assert _tcp_ecn(ns) == before


def test_pyroute2_link_events_see_the_link_come_back(ns: str) -> None:
    with IPRoute(netns=ns, flags=0) as ipr:
        index = ipr.link_lookup(ifname=IF)[0]
        ipr.link("set", index=index, state="down")

    def bring_up() -> None:
        with IPRoute(netns=ns, flags=0) as ipr:
            ipr.link("set", index=index, state="up")

    timer = threading.Timer(0.3, bring_up)
    timer.start()
    try:
        assert Pyroute2LinkWaiter(ns).wait_netdev_up(IF, timeout=10.0)
    finally:
        timer.cancel()
    assert not Pyroute2LinkWaiter(ns).wait_netdev_up("nosuch0", timeout=0.1)


def test_local_runner_refuses_shell_syntax_and_never_creates_namespaces(ns: str) -> None:
    runner = LocalRunner("ns-host", netns=ns)
    result = runner.run("cat /proc/sys/net/ipv4/tcp_ecn; reboot")
    assert result.exit_code == 2
    missing = f"ra-absent-{uuid.uuid4().hex[:8]}"
    assert LocalRunner("x", netns=missing).set_mtu(IF, 9000) is not None
    assert missing not in netns.listnetns()
    assert not Path(f"/run/netns/{missing}").exists()
