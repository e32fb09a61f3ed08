"""The SONiC counters-only read (`CountersRead`): COUNTERS_DB by one redis EVAL, else the counter CLIs.

First choice (counters_db.py): one `redis-cli EVAL` returning only the counter fields, from which the
agent computes what the CLIs print. Where that read is not available (no redis-cli, another DB layout,
an error reply) it falls back to the show read: `show pfc counters`, `show queue counters
--json`, `show queue wredcounters` (ECN marks; absent up to 202411, then noted once per read), `pfcwd
show stats -e` and `show priority-group watermark headroom`, batched behind the same per-read nonce
markers as the gather and parsed by the gather's own parsers. Either is one round trip; a redis read
that fails (exit status, or an answer that is not the script's JSON) costs one more, once: the device
is then read by the CLIs only for the rest of the run (`ShowOnly`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Sequence

from agent.counters import CounterSample, PortSample
from agent.errors import ParseError
from agent.platforms.base import CommandRunner
from agent.platforms.sonic import parsers as p
from agent.platforms.sonic.counters_db import COUNTERS_DB_COMMAND, parse_counters_db
from agent.platforms.sonic.fastread import FastPathUnavailable
from agent.platforms.sonic.gather import Section, batch_line, split_sections

COUNTER_COMMANDS: tuple[tuple[str, str], ...] = (
    ("pfc_counters", "show pfc counters"),
    ("queue_counters", "show queue counters --json"),
    ("wred_counters", "show queue wredcounters"),
    ("pfcwd_stats", "pfcwd show stats -e"),
    ("pg_headroom_wm", "show priority-group watermark headroom"),
)


class ShowOnly:
    """Devices whose redis read answered with something else than the script's JSON: not asked again."""

    def __init__(self) -> None:
        self._names: set[str] = set()
        self._lock = threading.Lock()

    def __contains__(self, device: object) -> bool:
        with self._lock:
            return device in self._names

    def add(self, device: str) -> None:
        with self._lock:
            self._names.add(device)


SHOW_ONLY = ShowOnly()


def read_counters(runner: CommandRunner, ports: Sequence[str] = (), show_only: ShowOnly = SHOW_ONLY) -> CounterSample:
    """One round trip (two the one time the redis read fails on a device); `ports` narrows the
    sample (empty: every port the switch has)."""
    before = runner.round_trips
    sample = _read(runner, show_only)
    sample.round_trips = runner.round_trips - before
    if ports:
        wanted = set(ports)
        sample.ports = {n: s for n, s in sample.ports.items() if n in wanted}
    return sample


def _read(runner: CommandRunner, show_only: ShowOnly) -> CounterSample:
    cmds = list(COUNTER_COMMANDS)
    nonce = secrets.token_hex(4)
    show = batch_line(cmds, nonce)
    if runner.device in show_only:
        return _show(runner, runner.run(show, timeout=60.0).output, cmds, nonce)
    res = runner.run(COUNTERS_DB_COMMAND, timeout=60.0)
    try:
        if res.exit_code != 0:
            raise FastPathUnavailable(f"exit {res.exit_code}: {(res.output + res.stderr).strip()[:160]!r}")
        return parse_counters_db(runner.device, res.output, time.monotonic())
    except FastPathUnavailable as exc:
        show_only.add(runner.device)
        sample = _show(runner, runner.run(show, timeout=60.0).output, cmds, nonce)
        sample.notes.append(f"COUNTERS_DB read unavailable ({exc}); read by the counter CLIs from now on")
        return sample


def _show(runner: CommandRunner, output: str, cmds: list[tuple[str, str]], nonce: str) -> CounterSample:
    taken = time.monotonic()
    return parse_counters(runner.device, split_sections(runner.device, output, cmds, nonce), taken)


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
