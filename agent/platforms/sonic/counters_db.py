"""The counters-only switch read through redis: one `redis-cli EVAL` over COUNTERS_DB, nothing else.

Why: the show read runs five Python CLIs per poll (pfcstat, queuestat, wredstat, pfcwd, watermarkstat),
seconds of the switch's CPU every interval; all they print lives in COUNTERS_DB (redis db 2 in the
single-instance layout, as the audit's read in fastread.py assumes). One Lua script, the same kind of EVAL
as that read, resolves the name maps and returns only the fields those CLIs print, as short positional
rows keyed by port / queue / PG name: a few kB per switch, milliseconds of redis time.

What the agent then computes is what the CLIs would print (sonic-utilities, read from its scripts):
- `show pfc counters` (pfcstat): per port of COUNTERS_PORT_NAME_MAP, SAI_PORT_STAT_PFC_<n>_RX_PKTS and
  _TX_PKTS of `COUNTERS:<port oid>`; a missing field prints N/A (absent here). `show pfc counters
  --history` adds the pause time, SAI_PORT_STAT_PFC_<n>_RX_PAUSE_DURATION_US, else the EST_ estimate
  the PFC-watchdog detect script writes: that is the switch's pause duration.
- `show queue counters` (queuestat): per queue of COUNTERS_QUEUE_NAME_MAP, its type from
  COUNTERS_QUEUE_TYPE_MAP (UC, MC, ALL, VOQ) and index from COUNTERS_QUEUE_INDEX_MAP, printed as
  `UC3` / `ALL3`; SAI_QUEUE_STAT_PACKETS and _DROPPED_PACKETS. `show queue wredcounters` (wredstat):
  SAI_QUEUE_STAT_WRED_ECN_MARKED_PACKETS of the same queues. Multicast queues are not returned (no
  check or metric reads them, as `parsers.data_queue_index` drops them from the CLI output too).
- `pfcwd show stats`: per queue of the name map, PFC_WD_STATUS and STORM DETECTED/RESTORED from
  PFC_WD_QUEUE_STATS_DEADLOCK_DETECTED/_RESTORED (0 when missing); the queue number is the name's
  suffix, as pfcwd takes it. Only queues the watchdog runs on (PFC_WD_STATUS set) are taken: `-e`
  would add a 0/0 row for every other queue, series that say nothing (and were 3/4 of all at N = 512).
- `show priority-group watermark headroom` (watermarkstat -t pg_headroom): per PG of
  COUNTERS_PG_NAME_MAP, index from COUNTERS_PG_INDEX_MAP, SAI_INGRESS_PRIORITY_GROUP_STAT_XOFF_ROOM_WATERMARK_BYTES
  of `USER_WATERMARKS:<pg oid>`; empty or missing is N/A.
These are the views `dbviews.py` computes from the audit's whole-DB read (a test checks both agree on
sonic-utilities' mock DB); this script returns rows already resolved by name because the monitor reads
every switch every interval: ~4 kB per 32-port switch instead of the maps and oid-keyed hashes.
One difference by design: the CLIs subtract the snapshot a `sonic-clear ...` saved in /tmp; this read
returns the raw counters (monotonic, so rates never see a clear as a negative step).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence

from agent.counters import CounterSample, PortSample
from agent.platforms.sonic.dbviews import ECN_MARKED, PG_HEADROOM
from agent.platforms.sonic.fastread import FastPathUnavailable
from agent.platforms.sonic.parsers import data_queue_index

PRIORITIES = range(8)
PORT_FIELDS: tuple[str, ...] = (
    *(f"SAI_PORT_STAT_PFC_{n}_RX_PKTS" for n in PRIORITIES),
    *(f"SAI_PORT_STAT_PFC_{n}_TX_PKTS" for n in PRIORITIES),
    *(f"SAI_PORT_STAT_PFC_{n}_RX_PAUSE_DURATION_US" for n in PRIORITIES),
    *(f"EST_PORT_STAT_PFC_{n}_RX_PAUSE_DURATION_US" for n in PRIORITIES),
)
QUEUE_FIELDS: tuple[str, ...] = (
    "SAI_QUEUE_STAT_PACKETS",
    "SAI_QUEUE_STAT_DROPPED_PACKETS",
    ECN_MARKED,
    "PFC_WD_STATUS",
    "PFC_WD_QUEUE_STATS_DEADLOCK_DETECTED",
    "PFC_WD_QUEUE_STATS_DEADLOCK_RESTORED",
)
PG_FIELDS: tuple[str, ...] = (PG_HEADROOM,)
# queuestat's labels; `parsers.data_queue_index` then keeps UC<n> / ALL<n>, as for the CLI's output
QUEUE_LABELS = {"SAI_QUEUE_TYPE_UNICAST": "UC", "SAI_QUEUE_TYPE_ALL": "ALL", "SAI_QUEUE_TYPE_UNICAST_VOQ": "VOQ"}


def _lua_list(names: Sequence[str]) -> str:
    return "{" + ", ".join(f"'{n}'" for n in names) + "}"


# Rows: port -> PORT_FIELDS values; queue name -> [type, index, QUEUE_FIELDS...]; PG name -> [index,
# PG_FIELDS...]; '' where redis has no such field (or no such key).
_LUA = f"""
redis.call('SELECT', 2)
local function hash(key)
  local h, m = redis.call('HGETALL', key), {{}}
  for i = 1, #h, 2 do m[h[i]] = h[i + 1] end
  return m
end
local function pick(m, fields, row)
  for _, f in ipairs(fields) do row[#row + 1] = m[f] or '' end
  return row
end
local out = {{p = {{}}, q = {{}}, g = {{}}}}
local ports = redis.call('HGETALL', 'COUNTERS_PORT_NAME_MAP')
for i = 1, #ports, 2 do out.p[ports[i]] = pick(hash('COUNTERS:' .. ports[i + 1]), {_lua_list(PORT_FIELDS)}, {{}}) end
local qtype, qindex = hash('COUNTERS_QUEUE_TYPE_MAP'), hash('COUNTERS_QUEUE_INDEX_MAP')
local queues = redis.call('HGETALL', 'COUNTERS_QUEUE_NAME_MAP')
for i = 1, #queues, 2 do
  local oid, t = queues[i + 1], qtype[queues[i + 1]] or ''
  if t ~= 'SAI_QUEUE_TYPE_MULTICAST' and redis.call('EXISTS', 'COUNTERS:' .. oid) == 1 then
    out.q[queues[i]] = pick(hash('COUNTERS:' .. oid), {_lua_list(QUEUE_FIELDS)}, {{t, qindex[oid] or ''}})
  end
end
local pgindex = hash('COUNTERS_PG_INDEX_MAP')
local pgs = redis.call('HGETALL', 'COUNTERS_PG_NAME_MAP')
for i = 1, #pgs, 2 do
  out.g[pgs[i]] = pick(hash('USER_WATERMARKS:' .. pgs[i + 1]), {_lua_list(PG_FIELDS)}, {{pgindex[pgs[i + 1]] or ''}})
end
return cjson.encode(out)
"""
LUA_SCRIPT = " ".join(line.strip() for line in _LUA.strip().splitlines())
COUNTERS_DB_COMMAND = "redis-cli --raw -n 2 EVAL " + shlex.quote(LUA_SCRIPT) + " 0"
SHOWN_COMMAND = "redis-cli --raw -n 2 EVAL <counters script> 0"  # how errors name the read

Rows = dict[str, list[str]]


def parse_counters_db(device: str, text: str, taken_at: float) -> CounterSample:
    """The script's JSON -> CounterSample; FastPathUnavailable when the answer is not that JSON."""
    start = text.find("{")
    try:
        doc = json.loads(text[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict) or not {"p", "q", "g"} <= set(doc):
        first = text.strip().splitlines()[0] if text.strip() else ""
        raise FastPathUnavailable(f"no counters JSON from redis-cli: {first[:160]!r}")
    sample = CounterSample(device, taken_at, read_path="redis")
    ports = _rows(doc["p"])
    if not ports:  # an empty COUNTERS_DB (not this layout, or counters not enabled): the CLIs say more
        raise FastPathUnavailable("redis db 2 holds no COUNTERS_PORT_NAME_MAP (not the single-instance layout)")
    for name, row in ports.items():
        _port(sample.ports.setdefault(name, PortSample()), row)
    for name, row in _rows(doc["q"]).items():
        _queue(sample, name, row)
    for name, row in _rows(doc["g"]).items():
        _pg(sample, name, row)
    return sample


def _rows(value: object) -> Rows:
    """{name: [str, ...]} as cjson printed it (an empty table prints as `{}`, never as `[]` here)."""
    if not isinstance(value, Mapping):
        return {}
    return {str(k): [str(v) for v in row] for k, row in value.items() if isinstance(row, list)}


def _int(text: str) -> int | None:
    """A counter as redis stores it (decimal text); '' or anything else is N/A."""
    return int(text) if text.isdecimal() else None


def _port(ps: PortSample, row: list[str]) -> None:
    values = dict(zip(PORT_FIELDS, row, strict=False))
    for n in PRIORITIES:
        for target, field in (
            (ps.pfc_rx, f"SAI_PORT_STAT_PFC_{n}_RX_PKTS"),
            (ps.pfc_tx, f"SAI_PORT_STAT_PFC_{n}_TX_PKTS"),
        ):
            value = _int(values.get(field, ""))
            if value is not None:
                target[n] = value
        paused = _int(values.get(f"SAI_PORT_STAT_PFC_{n}_RX_PAUSE_DURATION_US", ""))
        if paused is None:  # pfcstat --history: the SAI counter where the ASIC has it, else the estimate
            paused = _int(values.get(f"EST_PORT_STAT_PFC_{n}_RX_PAUSE_DURATION_US", ""))
        if paused is not None:
            ps.pause_rx_us[n] = paused


def _queue(sample: CounterSample, name: str, row: list[str]) -> None:
    port, _, suffix = name.rpartition(":")
    if not port or len(row) < 2 + len(QUEUE_FIELDS):
        return
    qtype, index, *rest = row
    values = dict(zip(QUEUE_FIELDS, rest, strict=False))
    ps = sample.ports.setdefault(port, PortSample())
    q = data_queue_index(QUEUE_LABELS.get(qtype, "?") + index)
    if q is not None:
        for target, field in ((ps.packets, "SAI_QUEUE_STAT_PACKETS"), (ps.drops, "SAI_QUEUE_STAT_DROPPED_PACKETS"),
                              (ps.ecn_marked, ECN_MARKED)):  # fmt: skip
            value = _int(values[field])
            if value is not None:
                target[q] = value
    if suffix.isdecimal() and values["PFC_WD_STATUS"]:  # a queue the PFC watchdog runs on
        wd = int(suffix)
        ps.wd_storms[wd] = _int(values["PFC_WD_QUEUE_STATS_DEADLOCK_DETECTED"] or "0") or 0
        ps.wd_restores[wd] = _int(values["PFC_WD_QUEUE_STATS_DEADLOCK_RESTORED"] or "0") or 0
        if values["PFC_WD_STATUS"] == "stormed":
            ps.wd_stormed.add(wd)


def _pg(sample: CounterSample, name: str, row: list[str]) -> None:
    port, _, _ = name.rpartition(":")
    if not port or len(row) < 2 or not row[0].isdecimal():
        return
    value = _int(row[1])
    if value is not None:
        sample.ports.setdefault(port, PortSample()).headroom_wm_bytes[int(row[0])] = value
