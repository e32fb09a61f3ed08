"""Helpers for the host tests: fixture sections -> HostRaw, the lab policy, a host intent."""

from __future__ import annotations

import json
from pathlib import Path

from agent.errors import DeviceError
from agent.intent import DeviceIntent, PortIntent
from agent.platforms.base import RunResult
from agent.platforms.linux_rdma.batch import Section
from agent.platforms.linux_rdma.gather import HostRaw, gather_batch
from agent.policy.model import Policy, TrafficClass
from agent.state import DeviceKind
from rocelab.host.twin import HostTwin
from rocelab.twin import TwinNic

FIXTURES = Path(__file__).parents[3] / "fixtures" / "hosts_platform"


def load_sections(*variants: str) -> dict[str, Section]:
    """Overlay fixture directories (first = base) into gather sections; every gather key must be present."""
    outputs: dict[str, str] = {}
    rcs: dict[str, int] = {}
    for variant in variants:
        folder = FIXTURES / variant
        for path in folder.iterdir():
            if path.name == "rc.json":
                rcs.update(json.loads(path.read_text()))
            else:
                outputs[path.name.replace("__", ":")] = path.read_text()
    keys = [k for k, _ in gather_batch(["eth1"])]
    missing = [k for k in keys if k not in outputs]
    assert not missing, f"fixture lacks {missing}"
    return {k: Section(outputs[k], rcs.get(k, 0)) for k in keys}


def raw_from(*variants: str) -> HostRaw:
    return HostRaw("host1", ["eth1"], load_sections(*variants), gathered_at=1.0, round_trips=1)


def lab_policy(**host: object) -> Policy:
    classes = [
        TrafficClass(name="roce", dscp=[26], priority=3, lossless=True),
        TrafficClass(name="cnp", dscp=[48], priority=6, cnp=True, scheduling={"type": "strict"}),  # type: ignore[arg-type]
        TrafficClass(name="bulk", priority=0, default=True),
    ]
    return Policy(classes=classes, host=host)  # type: ignore[arg-type]


def host_intent(
    policy: Policy | None = None, *, mtu: int = 9000, cable_m: int = 5, name: str = "host1"
) -> DeviceIntent:
    policy = policy or lab_policy()
    port = PortIntent(
        name="eth1",
        link_role="host",
        peer="leaf1:Ethernet0",
        speed_mbps=400_000,
        cable_m=cable_m,
        mtu=mtu,
        lossless_priorities=policy.lossless_priorities,
    )
    return DeviceIntent(name=name, kind=DeviceKind.host, platform="linux-rdma", policy=policy, ports={"eth1": port})


class FakeClock:
    """The twin's wall clock and the apply's sleep share this, so link flaps pass without real waiting."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


class TwinRunner:
    """CommandRunner over an in-process HostTwin: one `run` = one round trip, as over SSH."""

    def __init__(self, twin: HostTwin) -> None:
        self.twin = twin
        self.device = twin.hostname
        self.round_trips = 0
        self.commands: list[str] = []

    def run(self, command: str, *, timeout: float = 60.0) -> RunResult:
        self.round_trips += 1
        self.commands.append(command)
        result = self.twin.run(command, sudo=False)
        if result.disconnect:
            raise DeviceError(self.device, command[:40], "session lost")
        return RunResult(output=result.stdout + result.stderr, exit_code=result.exit_code)

    def upload(self, path: str, data: bytes) -> None:
        self.twin.write_file(path, data)


def twin_host(*, driver: str = "mlx5_core", flavour: str = "6.1") -> tuple[HostTwin, TwinRunner, FakeClock]:
    clock = FakeClock()
    twin = HostTwin("host1", [TwinNic(driver=driver)], iproute2_flavour=flavour, clock=clock)
    return twin, TwinRunner(twin), clock
