"""The SONiC counters-only read (`CountersRead`): the counter CLIs of the gather, in one round trip.

No CONFIG_DB dump, no APPL_DB or saved-config reads: only `show pfc counters`, `show queue counters
--json`, `show queue wredcounters` (ECN marks; absent up to 202411, then noted once per read),
`pfcwd show stats -e` and `show priority-group watermark headroom`, batched behind the same per-read
nonce markers as the gather, and parsed by the gather's own parsers. The CLIs read COUNTERS_DB through
its name maps, so port and queue names come out resolved.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence

from agent.counters import CounterSample, PortSample
from agent.errors import ParseError
from agent.platforms.base import CommandRunner
from agent.platforms.sonic import parsers as p
from agent.platforms.sonic.gather import Section, batch_line, split_sections

COUNTER_COMMANDS: tuple[tuple[str, str], ...] = (
    ("pfc_counters", "show pfc counters"),
    ("queue_counters", "show queue counters --json"),
    ("wred_counters", "show queue wredcounters"),
    ("pfcwd_stats", "pfcwd show stats -e"),
    ("pg_headroom_wm", "show priority-group watermark headroom"),
)


def read_counters(runner: CommandRunner, ports: Sequence[str] = ()) -> CounterSample:
    """One round trip; `ports` narrows the sample (empty: every port the CLIs list)."""
    cmds = list(COUNTER_COMMANDS)
    nonce = secrets.token_hex(4)
    before = runner.round_trips
    res = runner.run(batch_line(cmds, nonce), timeout=60.0)
    taken = time.monotonic()
    sections = split_sections(runner.device, res.output, cmds, nonce)
    sample = parse_counters(runner.device, sections, taken)
    sample.round_trips = runner.round_trips - before
    if ports:
        wanted = set(ports)
        sample.ports = {n: s for n, s in sample.ports.items() if n in wanted}
    return sample


def parse_counters(device: str, sections: dict[str, Section], taken_at: float) -> CounterSample:
    """The sections of one counters read -> a CounterSample (ParseError naming device and command)."""
    sample = CounterSample(device, taken_at)

    def port(name: str) -> PortSample:
        return sample.ports.setdefault(name, PortSample())

    sec = sections["pfc_counters"]
    pfc = p.parse_pfc_counters(device, sec.command, sec.output)
    for name, per_prio in pfc["rx"].items():
        port(name).pfc_rx.update(per_prio)
    for name, per_prio in pfc["tx"].items():
        port(name).pfc_tx.update(per_prio)
    sec = sections["queue_counters"]
    for name, queues in p.parse_queue_counters_json(device, sec.command, sec.output).items():
        ps = port(name)
        ps.packets.update({q: s["totalpacket"] for q, s in queues.items() if "totalpacket" in s})
        ps.drops.update({q: s["droppacket"] for q, s in queues.items() if "droppacket" in s})
    wred = sections["wred_counters"]
    try:
        for name, marked in p.parse_wred_counters(device, wred.command, wred.output).items():
            port(name).ecn_marked.update(marked)
    except p.Unavailable:
        sample.notes.append(f"{wred.command}: not available on this release (no ECN-marked counters)")
    for name, wd_queues in parse_pfcwd_counts(device, sections["pfcwd_stats"]).items():
        ps = port(name)
        for queue, (status, storms, restores) in wd_queues.items():
            if storms is not None:
                ps.wd_storms[queue] = storms
            if restores is not None:
                ps.wd_restores[queue] = restores
            if status == "stormed":
                ps.wd_stormed.add(queue)
    sec = sections["pg_headroom_wm"]
    for name, marks in p.parse_pg_watermark(device, sec.command, sec.output).items():
        port(name).headroom_wm_bytes.update(marks)
    return sample


def parse_pfcwd_counts(device: str, section: Section) -> dict[str, dict[int, tuple[str, int | None, int | None]]]:
    """`pfcwd show stats -e` -> {port: {queue: (status, storms detected, storms restored)}}."""
    out: dict[str, dict[int, tuple[str, int | None, int | None]]] = {}
    for _title, rows in p.simple_tables(device, section.command, section.output):
        for row in rows:
            if "QUEUE" not in row or "STATUS" not in row:
                raise ParseError(device, section.command, f"unexpected header {list(row)}")
            name, _, queue = row["QUEUE"].rpartition(":")
            if not name or not queue.isdigit():
                raise ParseError(device, section.command, f"bad queue name {row['QUEUE']!r}")
            detected, _, restored = row.get("STORM DETECTED/RESTORED", "N/A/N/A").partition("/")
            counts = (p.to_int(device, section.command, detected), p.to_int(device, section.command, restored))
            out.setdefault(name, {})[int(queue)] = (row["STATUS"], *counts)
    return out
