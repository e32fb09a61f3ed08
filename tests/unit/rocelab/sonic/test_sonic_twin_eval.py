"""The twin's `redis-cli EVAL`: a real Lua interpreter over the twin's databases, checked on real mock tables."""

from __future__ import annotations

import json

from real_sonic import MOCK_DBS, mock_twin, real_dir
from sonic_twin_helpers import leaf

from agent.platforms.sonic.fastread import DB_COMMAND, parse_db_read


def _mock(name: str) -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads((real_dir("mock_tables") / name).read_text(encoding="utf-8"))
    return data


def test_the_agents_read_script_returns_the_mock_databases_hashes() -> None:
    res = mock_twin().run(DB_COMMAND, sudo=False)
    assert res.exit_code == 0, res.stdout + res.stderr
    read = parse_db_read(res.stdout)
    plain = {k: v for k, v in _mock(MOCK_DBS[4]).items() if v and all(isinstance(x, str) for x in v.values())}
    assert len(plain) > 600
    assert {k: read.db("CONFIG_DB")[k] for k in plain} == plain  # every plain CONFIG_DB hash, field for field
    counters = _mock(MOCK_DBS[2])
    for key in ("COUNTERS_PORT_NAME_MAP", "COUNTERS_QUEUE_TYPE_MAP", "COUNTERS_PG_INDEX_MAP"):
        assert read.db("COUNTERS_DB")[key] == counters[key]
    queue_oid = counters["COUNTERS_QUEUE_NAME_MAP"]["Ethernet0:3"]
    assert read.db("COUNTERS_DB")[f"COUNTERS:{queue_oid}"] == counters[f"COUNTERS:{queue_oid}"]
    assert "CRM:STATS" not in read.db("COUNTERS_DB")  # only what the name maps point at
    appl = _mock(MOCK_DBS[0])
    assert {k: v for k, v in read.db("APPL_DB").items()} == {
        k: v
        for k, v in appl.items()
        if k.startswith(("BUFFER_PG_TABLE:", "BUFFER_PROFILE_TABLE:", "PORT_TABLE:", "SWITCH_TABLE:"))
    }


def test_raw_output_is_the_bulk_string_and_cjson_escapes_slashes() -> None:
    twin = leaf()
    out = twin.run("""redis-cli --raw -n 4 EVAL "return cjson.encode({a='x/y', n={}})" 0""", sudo=False)
    assert out.exit_code == 0
    assert out.stdout == '{"a":"x\\/y","n":{}}\n' or out.stdout == '{"n":{},"a":"x\\/y"}\n'


def test_script_sees_select_hgetall_as_flat_array_and_nil_as_false() -> None:
    twin = leaf()
    script = (
        "redis.call('SELECT', 4) local h = redis.call('HGETALL', 'DEVICE_METADATA|localhost') "
        "local missing = redis.call('HGET', 'DEVICE_METADATA|localhost', 'nope') "
        "return {#h % 2, tostring(missing), redis.call('TYPE', 'DEVICE_METADATA|localhost')['ok']}"
    )
    out = twin.run(f'redis-cli --raw -n 0 EVAL "{script}" 0', sudo=False)
    assert out.stdout.splitlines() == ["0", "false", "hash"]


def test_script_errors_and_a_bad_database_exit_1_with_the_error_text() -> None:
    twin = leaf()
    bad_db = twin.run("""redis-cli --raw EVAL "return redis.call('SELECT', 99)" 0""", sudo=False)
    assert (bad_db.exit_code, bad_db.stdout) == (1, "ERR DB index is out of range\n")
    no_os = twin.run("""redis-cli EVAL "return os.time()" 0""", sudo=False)
    assert no_os.exit_code == 1
    assert no_os.stdout.startswith("(error) ERR user_script")  # no os library, as in redis
    wrong = twin.run("redis-cli EVAL 'return 1' 5", sudo=False)
    assert wrong.stdout == "(error) ERR wrong number of arguments for 'eval' command\n"
