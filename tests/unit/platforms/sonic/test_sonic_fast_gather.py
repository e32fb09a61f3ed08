"""The switch read: one redis round trip when the switch answers it, the show read otherwise."""

from __future__ import annotations

import pytest

from agent.platforms.base import RunResult
from agent.platforms.sonic.gather import SonicRaw, gather, show_gather
from agent.platforms.sonic.normalize import normalize
from rocelab.sonic import SonicTwin
from rocelab.twin import TwinPort


class TwinRunner:
    """Runs lines on a twin in process and records them; `no_redis_cli` makes the image lack redis-cli."""

    device = "leaf1"

    def __init__(self, twin: SonicTwin, *, no_redis_cli: bool = False) -> None:
        self.twin, self.no_redis_cli, self.lines = twin, no_redis_cli, list[str]()

    def run(self, command: str, timeout: float | None = None) -> RunResult:
        self.lines.append(command)
        if self.no_redis_cli:
            command = command.replace("redis-cli --raw", "redis-cli-absent --raw")
        res = self.twin.run(command, sudo=False)
        return RunResult(res.stdout + res.stderr, res.exit_code)


def _twin() -> SonicTwin:
    ports = [TwinPort(f"Ethernet{4 * i}", 400_000, f"host{i}:eth1" if i < 4 else None, "host") for i in range(8)]
    return SonicTwin("leaf1", ports)


def _state(raw: SonicRaw) -> dict[str, object]:
    doc = normalize(raw).model_dump()
    doc.pop("gathered_at")
    doc.pop("read_path")
    return doc


def test_one_round_trip_reads_what_the_show_read_reads() -> None:
    twin = _twin()
    fast_runner, show_runner = TwinRunner(twin), TwinRunner(twin)
    fast = gather(fast_runner)
    assert fast.read_path == "redis"
    assert normalize(fast).read_path == "redis"  # the report says which path read the switch
    assert len(fast_runner.lines) == 1
    assert "redis-cli --raw -n 4 EVAL" in fast_runner.lines[0]
    assert not any(w in fast_runner.lines[0] for w in ("show ", "pfcwd"))
    assert "|| sonic-cfggen" in fast_runner.lines[0]  # only when redis-cli fails
    slow = show_gather(show_runner)
    assert len(show_runner.lines) == 2
    assert fast.config_db == slow.config_db
    assert _state(fast) == _state(slow)


def test_without_redis_cli_the_agent_falls_back_to_the_show_read_and_says_why() -> None:
    runner = TwinRunner(_twin(), no_redis_cli=True)
    raw = gather(runner)
    assert raw.db is None
    assert raw.read_path.startswith("show (redis read unavailable: no JSON from redis-cli")
    assert len(runner.lines) == 2  # cfggen ran in the first line, after the failed redis-cli
    assert "redis-cli --raw -n 4 EVAL" in runner.lines[0]
    assert "|| sonic-cfggen -d --print-data" in runner.lines[0]
    assert "show pfc counters" in runner.lines[1]
    assert normalize(raw).os_version == "SONiC.202511.0-roce-twin"
    assert (normalize(raw).read_path or "").startswith("show (redis read unavailable")


def test_snapshot_of_a_redis_read_normalizes_the_same_after_a_round_trip() -> None:
    raw = gather(TwinRunner(_twin()))
    again = SonicRaw.from_json(raw.to_json())
    assert again.read_path == "redis"
    assert _state(again) == _state(raw)


def test_the_plan_reads_the_lookup_file_only_when_it_needs_it() -> None:
    runner = TwinRunner(_twin())
    raw = gather(runner)
    assert "pg_lookup" not in raw.sections
    section = raw.lookup_section()
    assert section is not None
    assert "400000" in section.output
    assert runner.lines[-1].startswith("cat /usr/share/sonic/device/")
    assert raw.lookup_section() is section  # read once


def test_a_redis_answer_in_another_layout_costs_one_cfggen_read_more() -> None:
    runner = TwinRunner(_twin())
    real_run = runner.run

    def other_layout(command: str, timeout: float | None = None) -> RunResult:
        if "EVAL" in command:  # redis-cli answers, but db 4 is not CONFIG_DB on this switch
            command = command.replace("redis.call('SELECT', 4)", "redis.call('SELECT', 1)", 1)
            command = command.replace("hashes(4,", "hashes(1,")
        return real_run(command, timeout)

    runner.run = other_layout  # type: ignore[method-assign]
    raw = gather(runner)
    assert raw.read_path.startswith("show (redis read unavailable: redis db 4 holds no DEVICE_METADATA")
    assert runner.lines[1:] == ["sonic-cfggen -d --print-data", runner.lines[2]]
    assert raw.config_db["DEVICE_METADATA"]["localhost"]["hostname"] == "leaf1"


@pytest.mark.parametrize("answer", ["", "ERR unknown command 'EVAL'", '{"4": {}}'])
def test_answers_that_are_not_the_read_are_refused(answer: str) -> None:
    from agent.platforms.sonic.fastread import FastPathUnavailable, parse_db_read

    with pytest.raises(FastPathUnavailable):
        parse_db_read(answer)
