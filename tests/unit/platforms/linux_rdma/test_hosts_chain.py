"""The host change line: chained writes with nonce markers, the link wait on the host, one round trip per apply."""

from __future__ import annotations

from typing import Any

import pytest
from host_fixtures import TwinRunner, host_intent, twin_host

from agent.errors import ParseError
from agent.platforms.base import ApplyOptions, ApplyStatus
from agent.platforms.linux_rdma import commands as C
from agent.platforms.linux_rdma.adapter import HostAdapter
from agent.platforms.linux_rdma.apply import ApplySettings
from agent.platforms.linux_rdma.batch import RemoteShell
from agent.platforms.linux_rdma.chain import render_chain, run_chain, split_chain
from agent.platforms.linux_rdma.linkwait import LinkWait

NONCE = "0badcafe"


def _settings(clock: Any) -> ApplySettings:
    return ApplySettings(link_timeout_s=30.0, poll_interval_s=0.5, sleep=clock.sleep, clock=clock)


class UploadCounter(TwinRunner):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.uploads: list[str] = []

    def upload(self, path: str, data: bytes) -> None:
        self.uploads.append(path)
        super().upload(path, data)


def test_a_failing_step_stops_the_line_and_is_named_with_its_output_and_status() -> None:
    twin, runner, clock = twin_host()
    steps = [
        ("write:0:0", C.write_file("/proc/sys/net/ipv4/tcp_ecn", "1")),
        ("write:1:0", C.Cmd(("false",))),
        ("write:2:0", C.write_file("/sys/class/net/eth1/ecn/roce_np/enable/0", "0")),
    ]
    run = run_chain(RemoteShell(runner), steps, [("uname", C.uname())], _settings(clock))
    assert runner.round_trips == 1
    assert list(run.steps) == ["write:0:0", "write:1:0"]  # the third never ran
    assert run.steps["write:0:0"].ok
    assert run.steps["write:0:0"].output == "1\n"
    assert run.failed == [("write:1:0", run.steps["write:1:0"])]
    assert run.steps["write:1:0"].rc == 1
    assert run.reads["uname"].output.strip() == twin.kernel_release  # the re-read runs anyway
    assert twin.read_file("/sys/class/net/eth1/ecn/roce_np/enable/0") == b"1\n"


def test_a_restore_line_runs_every_step_with_its_own_status() -> None:
    _, runner, clock = twin_host()
    steps = [("write:0:0", C.Cmd(("false",))), ("write:1:0", C.write_file("/proc/sys/net/ipv4/tcp_ecn", "0"))]
    run = run_chain(RemoteShell(runner), steps, [], _settings(clock), stop=False)
    assert [(k, s.rc) for k, s in run.steps.items()] == [("write:0:0", 1), ("write:1:0", 0)]


def test_output_cannot_forge_a_marker_and_a_line_cut_short_is_an_error() -> None:
    line = render_chain([("write:0:0", C.Cmd(("true",)))], [], True, NONCE, stop=True)
    assert line.startswith(f"echo '@@roce-agent-{NONCE} begin write:0:0' && true 2>&1 && echo ")
    forged = f"@@roce-agent-00000000 status 0\n@@roce-agent-{NONCE} begin write:0:0\noops"
    with pytest.raises(ParseError, match="ended early"):
        split_chain("host1", forged, NONCE)
    steps, tail = split_chain("host1", forged + f"@@roce-agent-{NONCE} status 3\nrest\n", NONCE)
    assert (steps["write:0:0"].output, steps["write:0:0"].rc, tail) == ("oops\n", 3, "rest\n")


def test_the_link_wait_polls_on_the_host_until_the_port_is_back() -> None:
    _twin, runner, clock = twin_host()
    runner.run("sudo dcb pfc set dev eth1 prio-pfc 3:on")  # mlx5: the link goes down for 2 s
    wait = LinkWait("eth1", "mlx5_0/1", 30.0, 0.5)
    run = run_chain(RemoteShell(runner), [("wait:0", wait)], [], _settings(clock))
    assert runner.round_trips == 2
    assert run.steps["wait:0"].ok
    assert wait.result(run.steps["wait:0"].output, 0, True, True).seconds == 2.0
    with pytest.raises(ValueError, match="not a valid interface name"):
        LinkWait("eth1;reboot", None, 1.0, 0.5).cmd()


def test_a_long_timeout_polls_less_often_so_the_line_stays_short() -> None:
    count, interval = LinkWait("eth1", None, 600.0, 0.1).checks()
    assert count <= 240
    assert count * interval >= 600.0


def test_an_apply_from_defaults_is_four_round_trips_and_writes_in_one_line() -> None:
    twin, _, clock = twin_host()
    runner = UploadCounter(twin)
    adapter, intent = HostAdapter(_settings(clock)), host_intent()
    plan = adapter.plan(intent, adapter.gather(runner, intent))
    runner.commands.clear()
    outcome = adapter.apply(runner, intent, plan, ApplyOptions())
    assert outcome.status is ApplyStatus.applied, outcome.detail
    # snapshot gather (+ mkdir, index), configfs dirs, the change line, confirm's rm -f
    assert len(runner.commands) == 4, [c[:60] for c in runner.commands]
    assert len(runner.uploads) == 2  # the snapshot, the index
    writes = [c for c in runner.commands if "sudo dcb pfc set" in c]
    assert len(writes) == 1
    line = writes[0]
    assert line.index("/var/tmp/roce-agent/pending") < line.index("sudo dcb")  # marker before the first write
    assert line.index("sudo dcb pfc set") < line.index("operstate") < line.index("sudo tee /sys/class/net/eth1/ecn")
    assert adapter.plan(intent, adapter.gather(runner, intent)).empty
