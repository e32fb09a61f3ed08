"""The counters-only redis read: one EVAL over COUNTERS_DB gives what the five counter CLIs print.

Oracle: sonic-utilities' own mock COUNTERS_DB and the outputs its CLIs print over that same content
(`shared/real-sonic`). The script runs in the twin's real Lua interpreter over the mock tables (the twin
only executes redis commands here; what the agent computes is compared with the real CLI outputs, never
with the twin's).
"""

from __future__ import annotations

import json
import re

import pytest

from agent.counters import CounterSample
from agent.platforms.base import RunResult
from agent.platforms.sonic import dbviews
from agent.platforms.sonic.counters import ShowOnly, read_counters
from agent.platforms.sonic.counters_db import COUNTERS_DB_COMMAND, LUA_SCRIPT, parse_counters_db
from agent.platforms.sonic.fastread import FastPathUnavailable
from rocelab.sonic import SonicTwin
from tests.unit.platforms.sonic.real_sonic_db import mock_db
from tests.unit.platforms.sonic.test_sonic_counters import BatchSwitch, real_outputs
from tests.unit.platforms.sonic.test_sonic_counters import read_counters as show_read

MOCK_DBS = {4: "config_db", 0: "appl_db", 2: "counters_db", 1: "asic_db", 6: "state_db"}
FAMILIES = ("pfc_rx", "pfc_tx", "packets", "drops", "ecn_marked", "headroom_wm_bytes")


class MockSwitch(BatchSwitch):
    """redis-cli answered by a twin over the real mock databases; the counter CLIs by their real outputs.
    `redis` = "ok" (the EVAL runs), "missing" (exit 127) or "error" (exit 0, an error text)."""

    def __init__(self, redis: str = "ok") -> None:
        super().__init__(real_outputs())
        self.redis = redis
        self.twin = SonicTwin.from_dump("sonic-switch", {db: mock_db(name) for db, name in MOCK_DBS.items()})

    def run(self, command: str, *, timeout: float = 60.0) -> RunResult:
        if not command.startswith("redis-cli"):
            return super().run(command, timeout=timeout)
        self.round_trips += 1
        self.commands.append(command)
        if self.redis == "missing":
            return RunResult("-bash: redis-cli: command not found\n", 127)
        if self.redis == "error":
            return RunResult("(error) NOSCRIPT scripting is disabled\n", 0)
        res = self.twin.run(command, sudo=False)
        return RunResult(res.stdout, res.exit_code, res.stderr)


def redis_read(switch: MockSwitch | None = None) -> CounterSample:
    return read_counters(switch or MockSwitch(), (), ShowOnly())


def test_one_eval_reads_only_counters_db_and_writes_nothing() -> None:
    switch = MockSwitch()
    sample = redis_read(switch)
    assert (switch.round_trips, sample.round_trips, sample.read_path) == (1, 1, "redis")
    assert switch.commands == [COUNTERS_DB_COMMAND]
    assert re.findall(r"SELECT', (\d+)", LUA_SCRIPT) == ["2"]
    called = set(re.findall(r"redis\.call\('([A-Z]+)'", LUA_SCRIPT))
    assert called == {"SELECT", "HGETALL", "EXISTS"}  # no write, no KEYS scan


def test_every_counter_equals_what_the_real_clis_print_over_the_same_db() -> None:
    db, cli = redis_read(), show_read(BatchSwitch(real_outputs()))
    assert set(db.ports) == set(cli.ports) == {"Ethernet0", "Ethernet4", "Ethernet8"}
    for port, shown in cli.ports.items():
        for family in FAMILIES:
            assert getattr(db.ports[port], family) == getattr(shown, family), (port, family)
    assert cli.ports["Ethernet0"].pfc_rx[0] == 1200  # "1,200" in pfcstat's output


def test_watchdog_counts_are_those_of_pfcwd_show_stats_for_the_queues_it_watches() -> None:
    """The real output is `pfcwd show stats`: the queues whose COUNTERS carry PFC_WD_* (the watched ones)."""
    db, cli = redis_read(), show_read(BatchSwitch(real_outputs()))
    for port, shown in cli.ports.items():
        got = db.ports[port]
        assert (got.wd_storms, got.wd_restores, got.wd_stormed) == (shown.wd_storms, shown.wd_restores,
                                                                    shown.wd_stormed), port  # fmt: skip
    assert (db.ports["Ethernet8"].wd_storms, db.ports["Ethernet8"].wd_restores) == ({4: 3}, {4: 2})


def test_pause_duration_is_the_sai_counter_else_the_watchdog_estimate() -> None:
    """`show pfc counters --history`: SAI_PORT_STAT_PFC_n_RX_PAUSE_DURATION_US, else the EST_ field."""
    counters = mock_db("counters_db")
    sample = redis_read()
    for port, oid in counters["COUNTERS_PORT_NAME_MAP"].items():
        row = counters[f"COUNTERS:{oid}"]
        expected = {n: int(row[f"EST_PORT_STAT_PFC_{n}_RX_PAUSE_DURATION_US"]) for n in range(8)}
        assert sample.ports[port].pause_rx_us == expected
    doc = json.loads(MockSwitch().twin.run(COUNTERS_DB_COMMAND, sudo=False).stdout)
    row = doc["p"]["Ethernet0"]
    row[16 + 3] = "777"  # SAI_PORT_STAT_PFC_3_RX_PAUSE_DURATION_US present: it wins over the estimate
    assert parse_counters_db("leaf1", json.dumps(doc), 0.0).ports["Ethernet0"].pause_rx_us[3] == 777


@pytest.mark.parametrize("redis", ["missing", "error"])
def test_no_redis_read_falls_back_to_the_clis_once_and_then_reads_them_directly(redis: str) -> None:
    switch, show_only = MockSwitch(redis), ShowOnly()
    first = read_counters(switch, (), show_only)
    assert (first.round_trips, first.read_path) == (2, "show")
    assert any("COUNTERS_DB read unavailable" in note for note in first.notes)
    assert first.ports["Ethernet0"].pfc_tx[3] == 213
    second = read_counters(switch, (), show_only)
    assert (second.round_trips, second.read_path, second.notes) == (1, "show", [])
    assert not switch.commands[-1].startswith("redis-cli")


def test_an_empty_or_foreign_answer_is_not_taken_for_counters() -> None:
    for text in ("", "OK", '{"4": {}}', '{"p": {}, "q": {}, "g": {}}'):
        with pytest.raises(FastPathUnavailable):
            parse_counters_db("leaf1", text, 0.0)


def test_ports_narrow_the_redis_sample() -> None:
    sample = read_counters(MockSwitch(), ["Ethernet8"], ShowOnly())
    assert set(sample.ports) == {"Ethernet8"}


def test_the_counters_read_and_the_audit_reads_db_views_agree_on_the_same_db() -> None:
    """dbviews.py computes the same CLI views from the audit's whole-DB read: both must agree."""
    counters = mock_db("counters_db")
    sample = redis_read()
    pfc = dbviews.pfc_counters(counters)
    for port, ps in sample.ports.items():
        assert (ps.pfc_rx, ps.pfc_tx) == (pfc["rx"][port], pfc["tx"][port])
        queues = dbviews.queue_counters(counters)[port]
        assert ps.packets == {q: v["totalpacket"] for q, v in queues.items() if "totalpacket" in v}
        assert ps.drops == {q: v["droppacket"] for q, v in queues.items() if "droppacket" in v}
        assert ps.ecn_marked == (dbviews.wred_counters(counters) or {})[port]
        assert ps.headroom_wm_bytes == dbviews.pg_headroom_watermark(counters)[port]
        watched = dbviews.pfcwd_stats(counters).get(port, {})
        assert {q: storms for q, (_status, storms) in watched.items()} == ps.wd_storms
