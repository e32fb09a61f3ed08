"""Read one SONiC switch: one round trip through redis (fastread.py), else the show read in two.

The show read (the fallback, when the fast read is unavailable on the switch):

1. ``sonic-cfggen -d --print-data``: the whole CONFIG_DB as JSON.
2. One command line that runs every state/counter read the checks need, each section introduced by an
   ``echo`` marker carrying a per-gather nonce (so command output can never forge a marker).

The second line uses only what every SONiC image has and what the reference documents: ``show`` /
``pfcwd`` CLIs, ``sonic-db-cli <DB> keys|hgetall`` and ``cat``. APPL_DB keys are predicted from the
CONFIG_DB read (pfc_enable -> PG range, BUFFER_PG profiles, pg_lossless_<speed>_<cable>_profile) so the
batch needs no shell loops; ``keys BUFFER_PG_TABLE:*`` still lists what is really there.
"""

from __future__ import annotations

import json
import secrets
import shlex
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.errors import DeviceError, ParseError
from agent.platforms.base import CommandRunner
from agent.platforms.sonic import switch_hash
from agent.platforms.sonic.fastread import DB_COMMAND, VERSION_FILE, DbRead, FastPathUnavailable, parse_db_read
from agent.platforms.sonic.tables import strip_reference
from agent.policy.platforms import EIGHT_LANES, eight_lane_name, lane_count, mellanox_model

CONFIG_DB_COMMAND = "sonic-cfggen -d --print-data"
SAVED_CONFIG_PATH = "/etc/sonic/config_db.json"
DEFAULT_MTU = "9100"  # portmgrd's default; the dynamic model leaves it out of profile names


@dataclass
class Section:
    name: str
    command: str
    output: str = ""


@dataclass
class SonicRaw:
    """Everything read from one switch: the CONFIG_DB dump and the batched state sections."""

    device: str
    config_db: dict[str, Any]
    sections: dict[str, Section] = field(default_factory=dict)
    gathered_at: float | None = None
    db: DbRead | None = None  # the one-round-trip read (APPL/STATE/COUNTERS_DB); None: the show read
    read_path: str = "show"  # how the switch was read, for the report: "redis" | "show" | "show (why)"
    # reads a file on the switch later (the pre-flight's pg_profile_lookup.ini); None in snapshots
    read_later: Callable[[str], str | None] | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """Snapshot form (no secrets are ever read, so it is safe to store)."""
        doc: dict[str, Any] = {
            "device": self.device,
            "config_db": self.config_db,
            "sections": {n: {"command": s.command, "output": s.output} for n, s in self.sections.items()},
            "gathered_at": self.gathered_at,
        }
        if self.read_path != "show":  # the plain show read keeps the older snapshot form
            doc["read_path"] = self.read_path
        if self.db is not None:
            doc["db"] = {name: dict(hashes) for name, hashes in self.db.dbs.items() if name != "CONFIG_DB"}
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SonicRaw:
        sections = {n: Section(n, s["command"], s["output"]) for n, s in doc.get("sections", {}).items()}
        db = DbRead(doc["db"]) if isinstance(doc.get("db"), dict) else None
        raw = cls(doc["device"], typed_config_db(doc["config_db"]), sections, doc.get("gathered_at"), db)
        raw.read_path = str(doc.get("read_path") or ("redis" if db is not None else "show"))
        return raw

    def lookup_section(self) -> Section | None:
        """The SKU's pg_profile_lookup.ini: in the show read's batch, else read now (one more round trip)."""
        path = pg_lookup_path(self.config_db)
        if "pg_lookup" not in self.sections and path is not None and self.read_later is not None:
            self.sections["pg_lookup"] = Section("pg_lookup", f"cat {shlex.quote(path)}", self.read_later(path) or "")
        return self.sections.get("pg_lookup")


def read_config_db(runner: CommandRunner) -> dict[str, Any]:
    """Round trip 1. A non-JSON answer is a ParseError naming device and command."""
    res = runner.run(CONFIG_DB_COMMAND)
    if res.exit_code != 0:
        raise DeviceError(runner.device, CONFIG_DB_COMMAND, f"exit {res.exit_code}: {_tail(res.output)}")
    return parse_config_db(runner.device, res.output)


def parse_config_db(device: str, text: str) -> dict[str, Any]:
    start = text.find("{")
    try:
        doc = json.loads(text[start:]) if start >= 0 else None
    except json.JSONDecodeError as exc:
        raise ParseError(device, CONFIG_DB_COMMAND, f"not JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(doc, dict):
        raise ParseError(device, CONFIG_DB_COMMAND, f"expected a JSON object, got: {_tail(text)}")
    return typed_config_db(doc)


def typed_config_db(doc: dict[str, Any]) -> dict[str, Any]:
    """CONFIG_DB in the shape `sonic-cfggen -d --print-data` prints, whichever shape was read.

    swss-common ConfigDBConnector.raw_to_typed (what cfggen uses) drops the `"NULL": "NULL"` placeholder
    of entries without fields (leaving `{}`) and turns a `field@` = "a,b" into `field` = ["a", "b"]. A
    dump in the raw Redis shape (a config file written by hand, an older tool) gets the same treatment,
    so readers, the plan and the saved-config comparison all see one shape."""
    out: dict[str, Any] = {}
    for table, entries in doc.items():
        if not isinstance(entries, dict):
            out[table] = entries
            continue
        out[table] = {key: _typed_entry(entry) for key, entry in entries.items()}
    return out


def _typed_entry(entry: Any) -> Any:
    if not isinstance(entry, dict) or not any(f == "NULL" or f.endswith("@") for f in entry):
        return entry
    typed: dict[str, Any] = {}
    for fld, value in entry.items():
        if fld == "NULL":
            continue
        if fld.endswith("@") and isinstance(value, str):
            typed[fld[:-1]] = value.split(",")
        else:
            typed[fld] = value
    return typed


def state_commands(config_db: dict[str, Any], ports: Collection[str] | None = None) -> list[tuple[str, str]]:
    """(section name, command) pairs for round trip 2, derived from the CONFIG_DB just read.

    Per-port reads cover `ports` (the intent's ports) or, without an intent, every port with PFC on:
    the line stays short enough for any shell even on a 64-port switch with an intent.
    """
    focus = set(ports) if ports is not None else lossless_ports(config_db)
    cmds: list[tuple[str, str]] = [
        ("version", "show version"),
        ("interfaces", "show interfaces status"),
        ("pfc_counters", "show pfc counters"),
        ("queue_counters", "show queue counters --json"),
        ("wred_counters", "show queue wredcounters"),
        ("pfcwd_stats", "pfcwd show stats -e"),
        ("pg_headroom_wm", "show priority-group watermark headroom"),
        ("appl_pg_keys", "sonic-db-cli APPL_DB keys " + shlex.quote("BUFFER_PG_TABLE:*")),
        *load_balancing_commands(),
    ]
    for key in expected_pg_keys(config_db, focus):
        cmds.append((f"appl_pg {key}", "sonic-db-cli APPL_DB hgetall " + shlex.quote(f"BUFFER_PG_TABLE:{key}")))
    for name in candidate_profiles(config_db, focus):
        cmds.append(
            (f"appl_profile {name}", "sonic-db-cli APPL_DB hgetall " + shlex.quote(f"BUFFER_PROFILE_TABLE:{name}"))
        )
    for port in sorted(focus & set(config_db.get("PORT") or {})):
        key = shlex.quote(f"BUFFER_MAX_PARAM_TABLE|{port}")
        cmds.append((f"state_max_param {port}", f"sonic-db-cli STATE_DB hgetall {key}"))
    cmds.append(("saved_config", "cat " + SAVED_CONFIG_PATH))
    lookup = pg_lookup_path(config_db)
    if lookup is not None:  # the pre-flight checks (speed, cable) coverage in the traditional model
        cmds.append(("pg_lookup", f"cat {shlex.quote(lookup)} 2>/dev/null"))
    return cmds


def load_balancing_commands() -> list[tuple[str, str]]:
    """Hash capability (STATE_DB), the seeds swss runs with (APPL_DB) and ARS capability (issue 17)."""
    return [
        ("switch_capability", "sonic-db-cli STATE_DB hgetall " + shlex.quote(switch_hash.CAPABILITY_KEY)),
        ("switch_table", "sonic-db-cli APPL_DB hgetall " + shlex.quote(switch_hash.SWITCH_TABLE_KEY)),
        ("ars_capability", "sonic-db-cli STATE_DB keys " + shlex.quote(switch_hash.ARS_CAPABILITY_PATTERN)),
    ]


def pg_lookup_path(config_db: dict[str, Any]) -> str | None:
    """The SKU's pg_profile_lookup.ini on the switch (traditional model only; the dynamic model has none)."""
    meta = (config_db.get("DEVICE_METADATA") or {}).get("localhost") or {}
    platform, hwsku = str(meta.get("platform", "")), str(meta.get("hwsku", ""))
    if meta.get("buffer_model") == "dynamic" or not platform or not hwsku or "/" in platform + hwsku:
        return None
    return f"/usr/share/sonic/device/{platform}/{hwsku}/pg_profile_lookup.ini"


def pg_ranges(priorities: Collection[int]) -> list[str]:
    """buffermgrd's PG keys for a pfc_enable set: one per run of consecutive priorities.

    [3, 4] -> ["3-4"]; [2, 3, 4, 6] -> ["2-4", "6"] (sonic-swss buffermgr.cpp builds a bitmap of the
    priorities and Orch::generateIdListFromMap cuts it into contiguous slices)."""
    runs: list[str] = []
    ordered = sorted(set(priorities))
    start = 0
    for i, prio in enumerate(ordered):
        if i + 1 == len(ordered) or ordered[i + 1] != prio + 1:
            lo = ordered[start]
            runs.append(str(lo) if lo == prio else f"{lo}-{prio}")
            start = i + 1
    return runs


def parse_priorities(text: str) -> list[int]:
    return sorted({int(p) for p in text.split(",") if p.strip() != ""})


def key_priorities(key: str) -> set[int]:
    """PG/queue range key "3-4" -> {3, 4}; anything unparseable -> empty (normalize reports it)."""
    lo, _, hi = key.partition("-")
    if not lo.isdigit() or (hi and not hi.isdigit()):
        return set()
    return set(range(int(lo), int(hi or lo) + 1))


def field_text(value: Any) -> str:
    """A CONFIG_DB field as its stored text: a typed list (`field@`) back to "a,b", None to ""."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def lossless_ports(config_db: dict[str, Any]) -> set[str]:
    qos = config_db.get("PORT_QOS_MAP") or {}
    return {p for p, e in qos.items() if p != "global" and parse_priorities(field_text(e.get("pfc_enable")))}


def expected_pg_keys(config_db: dict[str, Any], ports: Collection[str]) -> list[str]:
    """Lossless APPL_DB PG keys ("Ethernet0:3-4") of `ports`: from pfc_enable and from CONFIG_DB BUFFER_PG."""
    keys: set[str] = set()
    qos = config_db.get("PORT_QOS_MAP") or {}
    for port in ports:
        prios = parse_priorities(field_text((qos.get(port) or {}).get("pfc_enable")))
        keys.update(f"{port}:{pgs}" for pgs in pg_ranges(prios))
        for key in config_db.get("BUFFER_PG") or {}:
            pg_port, _, pgs = key.partition("|")
            if pg_port == port and key_priorities(pgs) & set(prios):
                keys.add(f"{port}:{pgs}")
    return sorted(keys)


def candidate_profiles(config_db: dict[str, Any], ports: Collection[str]) -> list[str]:
    """Profiles the lossless PGs of `ports` may use: from BUFFER_PG, plus buffermgrd's naming rule."""
    names: set[str] = set()
    lossless = {k.replace(":", "|", 1) for k in expected_pg_keys(config_db, ports)}
    for key, entry in (config_db.get("BUFFER_PG") or {}).items():
        profile = strip_reference(str(entry.get("profile", "")))
        if key in lossless and profile and profile != "NULL":
            names.add(profile)
    cables: dict[str, str] = {}
    for table in (config_db.get("CABLE_LENGTH") or {}).values():
        cables.update({p: str(v) for p, v in table.items()})
    qos = config_db.get("PORT_QOS_MAP") or {}
    model = mellanox_model((config_db.get("DEVICE_METADATA") or {}).get("localhost", {}).get("platform"))
    for port in ports:
        entry = (config_db.get("PORT") or {}).get(port, {})
        speed, mtu = entry.get("speed"), str(entry.get("mtu", DEFAULT_MTU))
        if (qos.get(port) or {}).get("pfc_enable") and speed and port in cables:
            names.add(f"pg_lossless_{speed}_{cables[port]}_profile")
            # the dynamic model names non-default MTUs and narrower-speed 8-lane ports (getDynamicProfileName)
            base = f"pg_lossless_{speed}_{cables[port]}" + (f"_mtu{mtu}" if mtu != DEFAULT_MTU else "")
            names.add(f"{base}_profile")
            if lane_count(entry.get("lanes")) == EIGHT_LANES and eight_lane_name(model, str(speed)):
                names.add(f"{base}_8lane_profile")
    return sorted(names)


def batch_line(cmds: list[tuple[str, str]], nonce: str) -> str:
    """One shell line: `echo MARK name; cmd; echo MARK name; cmd ...` (markers are shell-quoted)."""
    parts: list[str] = []
    for name, cmd in cmds:
        parts.append("echo " + shlex.quote(f"{marker(nonce)} {name}"))
        parts.append(cmd)
    parts.append("echo " + shlex.quote(f"{marker(nonce)} END"))
    return "; ".join(parts)


def marker(nonce: str) -> str:
    return f"@@ROCE-{nonce}@@"


def split_sections(device: str, text: str, cmds: list[tuple[str, str]], nonce: str) -> dict[str, Section]:
    """Cut the batched output at the markers; a missing marker means the output was truncated.

    Lines are collected per section and joined once: appending to a str attribute line by line copies
    the whole section each time (quadratic on the ~100 KB saved config)."""
    mark = marker(nonce) + " "
    wanted = dict(cmds)
    lines_of: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(mark) and (stripped[len(mark) :] in wanted or stripped[len(mark) :] == "END"):
            name = stripped[len(mark) :]
            if name == "END":
                break
            current = lines_of[name] = []
            continue
        if current is not None:
            current.append(line)
    sections = {n: Section(n, wanted[n], "".join(ln + "\n" for ln in lines)) for n, lines in lines_of.items()}
    missing = [n for n in wanted if n not in sections]
    if missing and not sections:  # not one marker: the switch refused the line itself; say what it said
        said = next((ln.strip() for ln in text.splitlines() if ln.strip()), "nothing")
        raise ParseError(device, "state read", f"the switch did not run the batched read; it answered: {said}")
    if missing:
        raise ParseError(device, "state read", f"output ended before sections {missing[:3]} (truncated session?)")
    return sections


def gather(runner: CommandRunner, ports: Collection[str] | None = None) -> SonicRaw:
    """The redis read (one round trip); when the switch cannot answer it, the show read.

    The first line runs `sonic-cfggen -d --print-data` only when redis-cli fails, so a switch without
    redis-cli costs no extra round trip: the show read then needs only its batched state line.
    Raises DeviceError/ParseError naming the device and command."""
    return gather_with(runner, ports)[0]


def gather_with(
    runner: CommandRunner, ports: Collection[str] | None = None, extra: Sequence[tuple[str, str]] = ()
) -> tuple[SonicRaw, dict[str, str]]:
    """`gather`, with `extra` (name, command) pairs run in the same line (apply's lock read); returns
    what each extra printed beside the state."""
    nonce = secrets.token_hex(4)
    res = runner.run(fast_read_line(nonce, extra), timeout=120.0)
    cmds = [*FAST_COMMANDS, *extra]
    sections = split_sections(runner.device, res.output, cmds, nonce)
    printed = {name: sections.pop(name).output for name, _ in extra}
    return _read_sections(runner, ports, sections), printed


def fast_read_line(nonce: str, extra: Sequence[tuple[str, str]] = ()) -> str:
    """The one-round-trip read as a shell line, so a write script can end with it (the transaction's
    verify read rides on its commit line)."""
    return batch_line([*FAST_COMMANDS, *extra], nonce)


def read_from(runner: CommandRunner, ports: Collection[str] | None, output: str, nonce: str) -> SonicRaw:
    """The switch's state from what `fast_read_line(nonce)` printed; the show read (more round trips on
    `runner`) when the switch could not answer through redis."""
    return _read_sections(runner, ports, split_sections(runner.device, output, FAST_COMMANDS, nonce))


def _read_sections(runner: CommandRunner, ports: Collection[str] | None, sections: dict[str, Section]) -> SonicRaw:
    answer = sections.pop("db").output
    try:
        read = parse_db_read(answer)
    except FastPathUnavailable as exc:
        config_db = _fallback_config(runner, answer)
        raw = show_gather(runner, ports, config_db)
        raw.read_path = f"show (redis read unavailable: {exc})"
        return raw
    raw = SonicRaw(runner.device, typed_config_db(read.config_db()), sections, time.time(), read, "redis")
    raw.read_later = lambda path: _cat(runner, path)
    return raw


FAST_COMMANDS = [
    ("version_yml", f"cat {VERSION_FILE}"),
    ("db", f"{DB_COMMAND} || {CONFIG_DB_COMMAND}"),
    ("saved_config", f"cat {SAVED_CONFIG_PATH}"),
]


def _fallback_config(runner: CommandRunner, answer: str) -> dict[str, Any]:
    """CONFIG_DB from the cfggen that ran after a failed redis-cli; read it now when redis-cli had exited 0."""
    try:
        doc = parse_config_db(runner.device, answer)
    except ParseError:
        doc = {}
    return doc if "DEVICE_METADATA" in doc else read_config_db(runner)


def _cat(runner: CommandRunner, path: str) -> str | None:
    res = runner.run(f"cat {shlex.quote(path)} 2>/dev/null")
    return res.output if res.exit_code == 0 else None


def show_gather(
    runner: CommandRunner, ports: Collection[str] | None = None, config_db: dict[str, Any] | None = None
) -> SonicRaw:
    """The show read: CONFIG_DB by sonic-cfggen (unless already read), then the batched show/pfcwd line."""
    config_db = read_config_db(runner) if config_db is None else config_db
    cmds = state_commands(config_db, ports)
    nonce = secrets.token_hex(4)
    res = runner.run(batch_line(cmds, nonce), timeout=120.0)
    sections = split_sections(runner.device, res.output, cmds, nonce)
    return SonicRaw(runner.device, config_db, sections, time.time(), read_path="show")


def _tail(text: str, limit: int = 200) -> str:
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]
