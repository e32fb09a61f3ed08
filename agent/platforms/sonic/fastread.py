"""The one-round-trip switch read: one `redis-cli EVAL` for four databases, plus two `cat`s.

Why: the show-based read runs seven Python CLIs (`show ...`, `pfcwd`) and `sonic-cfggen`, about 7-10 s
of the switch's own CPU per audit (benchmarks/README.md, "Cost model"). Every figure they print lives
in redis; `redis-cli` is a C client every SONiC image ships (redis-tools, used by SONiC's own scripts),
and one Lua script (redis' EVAL, with its bundled cjson) returns CONFIG_DB whole and the needed parts of
APPL_DB, STATE_DB and COUNTERS_DB as one JSON string: milliseconds of device time for one process.

The databases are selected by their numbers in the default single-instance layout (sonic-swss-common
database_config.json: APPL_DB 0, COUNTERS_DB 2, CONFIG_DB 4, STATE_DB 6). Where that layout does not
hold (multi-ASIC namespaces, databases split over instances) or redis-cli is missing, the answer fails
validation (no DEVICE_METADATA in db 4, an error, no JSON) and the caller falls back to the show read.
The script only reads (KEYS, TYPE, HGETALL): redis is single-threaded, so it blocks other clients for
its run time, a few milliseconds on a 64-port switch.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

DB_IDS = {"APPL_DB": 0, "COUNTERS_DB": 2, "CONFIG_DB": 4, "STATE_DB": 6}
VERSION_FILE = "/etc/sonic/sonic_version.yml"

# KEYS patterns per database; COUNTERS_DB is read through its name maps (only port/queue/PG objects).
_LUA = """
local out = {}
local function hashes(db, patterns)
  redis.call('SELECT', db)
  local t = {}
  for _, p in ipairs(patterns) do
    for _, k in ipairs(redis.call('KEYS', p)) do
      if redis.call('TYPE', k)['ok'] == 'hash' then t[k] = redis.call('HGETALL', k) end
    end
  end
  return t
end
out['4'] = hashes(4, {'*'})
out['0'] = hashes(0, {'BUFFER_PG_TABLE:*', 'BUFFER_PROFILE_TABLE:*', 'PORT_TABLE:*', 'SWITCH_TABLE:*'})
out['6'] = hashes(6, {'BUFFER_MAX_PARAM_TABLE|*', 'SWITCH_CAPABILITY|*', 'ARS_CAPABILITY_TABLE|*'})
redis.call('SELECT', 2)
local c = {}
for _, m in ipairs({'COUNTERS_PORT_NAME_MAP', 'COUNTERS_QUEUE_NAME_MAP', 'COUNTERS_QUEUE_TYPE_MAP',
                    'COUNTERS_QUEUE_INDEX_MAP', 'COUNTERS_PG_NAME_MAP', 'COUNTERS_PG_INDEX_MAP'}) do
  c[m] = redis.call('HGETALL', m)
end
for _, spec in ipairs({{'COUNTERS_PORT_NAME_MAP', 'COUNTERS:'}, {'COUNTERS_QUEUE_NAME_MAP', 'COUNTERS:'},
                       {'COUNTERS_PG_NAME_MAP', 'USER_WATERMARKS:'}}) do
  local map = c[spec[1]]
  for i = 2, #map, 2 do
    local key = spec[2] .. map[i]
    if redis.call('EXISTS', key) == 1 then c[key] = redis.call('HGETALL', key) end
  end
end
out['2'] = c
return cjson.encode(out)
"""
LUA_SCRIPT = " ".join(line.strip() for line in _LUA.strip().splitlines())
DB_COMMAND = "redis-cli --raw -n 4 EVAL " + shlex.quote(LUA_SCRIPT) + " 0"
SHOWN_COMMAND = "redis-cli --raw -n 4 EVAL <read script> 0"  # how reports name the read


class FastPathUnavailable(Exception):
    """The switch's answer is not a valid DB read (no redis-cli, other DB layout, scripting refused)."""


@dataclass(frozen=True)
class DbRead:
    """Hashes per database as read in one EVAL: {"CONFIG_DB": {"PORT|Ethernet0": {...}}, ...}."""

    dbs: Mapping[str, Mapping[str, Mapping[str, str]]]

    def db(self, name: str) -> Mapping[str, Mapping[str, str]]:
        return self.dbs.get(name) or {}

    def config_db(self) -> dict[str, dict[str, dict[str, str]]]:
        """CONFIG_DB as tables ({"PORT": {"Ethernet0": {...}}}); keys without a `|` are not table rows."""
        out: dict[str, dict[str, dict[str, str]]] = {}
        for key, fields in self.db("CONFIG_DB").items():
            table, sep, name = key.partition("|")
            if sep:
                out.setdefault(table, {})[name] = dict(fields)
        return out


def parse_db_read(text: str) -> DbRead:
    """The EVAL's JSON -> DbRead; FastPathUnavailable when it is not the read this module asked for."""
    start = text.find("{")
    try:
        doc = json.loads(text[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict) or "4" not in doc:  # not the script's answer (an error, cfggen's JSON after it)
        first = text.strip().splitlines()[0] if text.strip() else ""
        raise FastPathUnavailable(f"no JSON from redis-cli: {first[:160]!r}")
    dbs = {name: _hashes(doc.get(str(db_id))) for name, db_id in DB_IDS.items()}
    if "DEVICE_METADATA|localhost" not in dbs["CONFIG_DB"]:
        raise FastPathUnavailable("redis db 4 holds no DEVICE_METADATA|localhost (not the single-instance layout)")
    return DbRead(dbs)


def _hashes(value: object) -> dict[str, dict[str, str]]:
    """{key: flat [field, value, ...] list} as cjson prints it (an empty list prints as `{}`)."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, dict[str, str]] = {}
    for key, flat in value.items():
        items = flat if isinstance(flat, list) else []
        out[str(key)] = {str(items[i]): str(items[i + 1]) for i in range(0, len(items) - 1, 2)}
    return out
