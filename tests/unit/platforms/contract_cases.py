"""Per-platform rigs for the contract suite (test_contract.py): how to get a device, an intent and faults.

Every platform registered in the `roce_agent.platforms` entry point group needs a case here and a
directory of scenarios in tests/fixtures/platform_contract/<platform>/; the suite fails for a
registered platform without them. A rig uses the adapter class that is registered, built with settings
that do not sleep (the device's clock is fake), against the fakes the platform's own unit tests use:
the in-memory switch of tests/unit/platforms/sonic and the in-process host twin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agent.intent import DeviceIntent
from agent.platforms.base import AnyAdapter, CommandRunner
from agent.platforms.linux_rdma.adapter import HostAdapter
from agent.platforms.linux_rdma.apply import ApplySettings
from agent.platforms.sonic.adapter import SonicAdapter
from agent.platforms.sonic.transaction import TxSettings

from .linux_rdma.host_fixtures import host_intent, twin_host
from .sonic.conftest import leaf1_intent
from .sonic.sonic_fake_switch import FakeSonic

SCENARIOS = Path(__file__).parents[2] / "fixtures" / "platform_contract"


@dataclass
class Rig:
    adapter: AnyAdapter
    runner: CommandRunner
    arm: Callable[[str], None]  # arm one of the case's named faults on this device


@dataclass
class Case:
    platform: str
    adapter_class: type
    rig: Callable[[], Rig]
    intent: Callable[[], DeviceIntent]
    gather_round_trips: int  # the budget of docs/platform-contract.md, with the intent's interfaces known
    faults: list[str] = field(default_factory=list)  # each makes an apply fail part-way or be refused

    @property
    def scenarios(self) -> list[Path]:
        return sorted((SCENARIOS / self.platform).glob("*.json"))


def _sonic_rig() -> Rig:
    switch = FakeSonic()
    adapter = SonicAdapter(TxSettings(verify_attempts=2, verify_interval_s=0, sleep=lambda _s: None))

    def arm(fault: str) -> None:
        if fault.startswith("drop-after-writes="):
            switch.drop_after_writes = int(fault.partition("=")[2])
        elif fault == "gcu-refuses-wred":
            switch.refuse_tables = {"WRED_PROFILE"}
        elif fault == "no-lossless-pg":  # buffermgrd does not program the PG: verification fails after the write
            switch.no_lossless_pg = True
        else:
            raise ValueError(fault)

    return Rig(adapter, switch, arm)  # type: ignore[arg-type]  # each adapter gets back only what it made


def _host_rig() -> Rig:
    twin, runner, clock = twin_host()
    settings = ApplySettings(link_timeout_s=30.0, poll_interval_s=0.5, sleep=clock.sleep, clock=clock)

    def arm(fault: str) -> None:
        kind, _, options = fault.partition(":")
        twin.inject_fault(kind, dict(o.split("=", 1) for o in options.split(",") if o))

    return Rig(HostAdapter(settings), runner, arm)  # type: ignore[arg-type]


CASES = {
    "sonic": Case(
        "sonic",
        SonicAdapter,
        _sonic_rig,
        leaf1_intent,
        gather_round_trips=2,  # FakeSonic has no redis-cli: the show read (the redis read is 1: test_sonic_fast_gather)
        faults=[
            "drop-after-writes=0",
            "drop-after-writes=1",
            "drop-after-writes=40",
            "gcu-refuses-wred",
            "no-lossless-pg",
        ],
    ),
    "linux-rdma": Case(
        "linux-rdma",
        HostAdapter,
        _host_rig,
        host_intent,
        gather_round_trips=1,
        faults=[
            "fail-command:pattern=pfc set",
            "fail-command:pattern=ets set",
            "reject-app:dev=eth1",
            "drop-after-commands:k=2",  # the configfs round trip
            "drop-after-commands:k=3",  # the change line: it ran, its answer is lost
        ],
    ),
}
