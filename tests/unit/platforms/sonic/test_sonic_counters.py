"""The SONiC counters-only read by the CLIs (the fallback of the redis read): real SONiC CLI outputs ->
CounterSample, in one round trip."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.counters import CounterSample
from agent.errors import ParseError
from agent.platforms.base import CountersRead, RunResult
from agent.platforms.sonic.adapter import ADAPTER
from agent.platforms.sonic.counters import COUNTER_COMMANDS, ShowOnly
from agent.platforms.sonic.counters import read_counters as read_any
from agent.platforms.sonic.gather import marker
from tests.shared_data import real_sonic

FIXTURES = Path(__file__).parents[3] / "fixtures" / "sonic_platform"
FILES = {
    "pfc_counters": "show_pfc_counters.txt",
    "queue_counters": "show_queue_counters_json.txt",
    "wred_counters": "show_queue_wredcounters.txt",
    "pfcwd_stats": "pfcwd_show_stats.txt",
    "pg_headroom_wm": "show_pg_watermark_headroom.txt",
}


class BatchSwitch:
    """Answers one marker-batched line with the real CLI outputs, section by section."""

    def __init__(self, outputs: dict[str, str]) -> None:
        self.device = "leaf1"
        self.round_trips = 0
        self.outputs = outputs
        self.commands: list[str] = []

    def run(self, command: str, *, timeout: float = 60.0) -> RunResult:
        self.round_trips += 1
        self.commands.append(command)
        nonce = re.search(r"@@ROCE-([0-9a-f]+)@@", command)
        assert nonce is not None
        out = []
        for name, _cmd in COUNTER_COMMANDS:
            out += [f"{marker(nonce.group(1))} {name}", self.outputs[name]]
        out.append(f"{marker(nonce.group(1))} END")
        return RunResult("\n".join(out))

    def upload(self, path: str, data: bytes) -> None:
        raise AssertionError("a counters read writes nothing")


def read_counters(switch: BatchSwitch, ports: list[str] | None = None) -> CounterSample:
    """The show read: a device the redis read already failed on."""
    show_only = ShowOnly()
    show_only.add(switch.device)
    return read_any(switch, ports or [], show_only)


def real_outputs() -> dict[str, str]:
    return {name: real_sonic("cli", file).read_text() for name, file in FILES.items()}


def test_the_adapter_has_the_capability() -> None:
    assert isinstance(ADAPTER, CountersRead)


def test_one_round_trip_reads_no_configuration() -> None:
    switch = BatchSwitch(real_outputs())
    read_counters(switch)
    assert switch.round_trips == 1
    assert "sonic-cfggen" not in switch.commands[0]
    assert "CONFIG_DB" not in switch.commands[0]


def test_real_outputs_land_on_the_right_port_and_priority() -> None:
    sample = read_counters(BatchSwitch(real_outputs()))
    e0, e8 = sample.ports["Ethernet0"], sample.ports["Ethernet8"]
    assert e0.pfc_rx[0] == 1200
    assert e0.pfc_rx[3] == 203
    assert e0.pfc_tx[3] == 213
    assert e0.packets[3] == 52
    assert e0.drops[3] == 19
    assert e0.ecn_marked[3] == 19
    assert e0.ecn_marked[1] == 39
    assert e0.headroom_wm_bytes[3] == 103
    assert sample.ports["Ethernet4"].headroom_wm_bytes[7] == 407
    # pfcwd show stats: Ethernet0:3 stormed 1/0, Ethernet4:3 operational 2/2, Ethernet8:4 stormed 3/2
    assert (e0.wd_storms[3], e0.wd_restores[3], e0.wd_stormed) == (1, 0, {3})
    assert (sample.ports["Ethernet4"].wd_storms[3], sample.ports["Ethernet4"].wd_stormed) == (2, set())
    assert (e8.wd_storms[4], e8.wd_restores[4], e8.wd_stormed) == (3, 2, {4})


def test_ports_narrow_the_sample() -> None:
    sample = read_counters(BatchSwitch(real_outputs()), ["Ethernet4"])
    assert set(sample.ports) == {"Ethernet4"}


def test_release_without_wredcounters_is_a_note_not_a_failure() -> None:
    outputs = real_outputs()
    outputs["wred_counters"] = (FIXTURES / "show_queue_wredcounters_unavailable.txt").read_text()
    sample = read_counters(BatchSwitch(outputs))
    assert not sample.ports["Ethernet0"].ecn_marked
    assert any("not available" in n for n in sample.notes)


def test_garbled_watchdog_table_names_device_and_command() -> None:
    outputs = real_outputs()
    outputs["pfcwd_stats"] = "QUEUE  STATUS\n-----  ------\nEthernet0x  stormed\n"
    with pytest.raises(ParseError, match=r"leaf1.*pfcwd show stats"):
        read_counters(BatchSwitch(outputs))
