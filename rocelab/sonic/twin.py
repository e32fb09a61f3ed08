"""SonicTwin: an in-memory SONiC switch that answers shell command lines like a sonic-vm would.

It implements rocelab.twin.Twin; the SSH layer adds the prompt, strips a leading `sudo`, and honours
CommandResult.delay_s/disconnect. Each `run` call advances a logical clock by one tick (qosview.TICK_MS)
per tool it starts, which drives counters and the PFC watchdog deterministically.
"""

from __future__ import annotations

import posixpath
import re
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from rocelab.cost import invocations
from rocelab.sonic import cli_config, cli_db, cli_show, cli_stats, file_cli
from rocelab.sonic.appl import render_appl_db, render_state_db
from rocelab.sonic.asicdb import render_asic_db
from rocelab.sonic.buffermgr import BufferManager
from rocelab.sonic.counters import PATTERNS, CountersDb, TrafficModel
from rocelab.sonic.db import ConfigDb, DerivedDb, HashDb, Row, intern_key
from rocelab.sonic.defaults import seed_config
from rocelab.sonic.faults import HANG_SECONDS, Faults
from rocelab.sonic.gcu import Gcu
from rocelab.sonic.qosview import TICK_MS
from rocelab.sonic.shell import run_line
from rocelab.sonic.show import config_json
from rocelab.sonic.sku import DEFAULT_DYNAMIC_SKU, DEFAULT_SKU, load_sku
from rocelab.sonic.stats import Baseline, watermark_oids
from rocelab.sonic.switch_hash import switch_table_row
from rocelab.sonic.version import DEFAULT_RELEASE, release_of
from rocelab.twin import CommandResult, TwinPort

HOME = "/home/admin"
CHECKPOINT_DIR = "/etc/sonic/checkpoints/"
VERSION_FILE = "/etc/sonic/sonic_version.yml"


def version_yml(sonic_version: str, asic_type: str) -> str:
    """The image's version file: `show version` prints SONiC.<build_version>."""
    build = sonic_version.removeprefix("SONiC.")
    return (
        f"---\nbuild_version: '{build}'\ndebian_version: '12.11'\nkernel_version: '6.1.0-29-2-amd64'\n"
        f"asic_type: {asic_type}\ncommit_id: '0000000'\nbranch: '{build.split('.')[0]}'\nrelease: 'none'\n"
        "build_date: Thu Nov 19 00:00:00 UTC 2026\nbuilt_by: roce-agent lab twin\n"
    )


RedisDump = Mapping[int, Mapping[str, Mapping[str, str]]]  # redis db number -> key -> hash
DB_IDS = {"APPL_DB": 0, "ASIC_DB": 1, "COUNTERS_DB": 2, "CONFIG_DB": 4, "STATE_DB": 6}


class SonicTwin:
    """One SONiC switch. Cheap to construct: defaults are shared, counters are computed on read."""

    def __init__(
        self,
        hostname: str,
        ports: Sequence[TwinPort],
        *,
        buffer_model: str = "traditional",
        state_dir: Path | None = None,
        seed: int = 0,
        dump: RedisDump | None = None,
        sku: str | None = None,
        release: str = DEFAULT_RELEASE,
    ) -> None:
        if buffer_model not in ("traditional", "dynamic"):
            raise ValueError(f"buffer_model must be 'traditional' or 'dynamic', not {buffer_model!r}")
        self.sku = load_sku(sku or (DEFAULT_DYNAMIC_SKU if buffer_model == "dynamic" else DEFAULT_SKU))
        if buffer_model not in self.sku.models:
            raise ValueError(f"SKU {self.sku.name} has no {buffer_model} buffer model ({', '.join(self.sku.models)})")
        self.release = release_of(release)
        self.hostname = hostname
        self.ports = list(ports)
        self.port_names = [p.name for p in self.ports]
        self.buffer_model = buffer_model
        self.seed = seed
        self.clock = 0
        self.syslog: deque[tuple[int, str]] = deque(maxlen=64)  # (tick, "SEVERITY tag: message")
        self.files: dict[str, bytes] = {}
        self.counter_snapshots: dict[str, Baseline] = {}  # `sonic-clear` baselines: pfc, queue, wred
        self._saved: str | None = None  # None: still the config the image booted with
        self.config = ConfigDb()
        if dump is None:
            seed_config(self.config, hostname, self.ports, buffer_model, seed, self.sku)
        else:  # a device's databases as they are (a redis dump): nothing rendered, no traffic model
            self.config.rows.update({intern_key(k): dict(v) for k, v in dump.get(4, {}).items() if v})
            self._saved = config_json(self.config.to_json())
        self.buffers = BufferManager(buffer_model, lambda text: self.syslog.append((self.clock, text)), self.sku)
        self.buffers.reconcile(self.config, self.port_names)
        cabled = frozenset(p.name for p in self.ports if p.neighbor)
        self.traffic = TrafficModel(self.config, self._now)
        self.counters = CountersDb([] if dump else self.port_names, self.traffic)
        watchdog = self.traffic.watchdog
        self.switch_table = switch_table_row(self.config.row("DEVICE_METADATA", "localhost"))  # swss start
        self.appl = DerivedDb(
            "APPL_DB",
            0,
            ":",
            lambda: render_appl_db(self.config, cabled, watchdog, self._now, self.sku, self.switch_table),
        )
        self.state = DerivedDb("STATE_DB", 6, "|", lambda: render_state_db(self.config, cabled))
        self.asic = DerivedDb(
            "ASIC_DB", 1, ":", lambda: render_asic_db(self.config, self._appl_table, watchdog, self.clock)
        )
        if dump is not None:
            self.counters.rows.update({intern_key(k): dict(v) for k, v in dump.get(2, {}).items() if v})
            for db_id, db in ((0, self.appl), (6, self.state), (1, self.asic)):
                rows: dict[str, Row] = {intern_key(k): dict(v) for k, v in dump.get(db_id, {}).items() if v}
                db.replace_render(_fixed(rows))
        self.faults = Faults()
        self.sonic_version = f"SONiC.{self.release.build_version}"  # show version, GCU's release (sonic_version.yml)
        self.asic_type = self.sku.asic_type
        self.gcu = Gcu(
            self.config,
            self.after_config_write,
            state_dir,
            self.faults.refused_tables,
            identity=lambda: (self.sonic_version, self.asic_type),
            log=lambda text: self.syslog.append((self.clock, text)),
            port_state=lambda port, field: self.state.hget(f"PORT_TABLE|{port}", field),
        )
        self.wall: Callable[[], float] = time.monotonic  # real time, for `setsid -f sh -c 'sleep N; ...'` timers
        self.timers: list[tuple[float, str, bool]] = []

    @classmethod
    def from_dump(cls, hostname: str, dump: RedisDump) -> SonicTwin:
        """A twin over a device's own databases (e.g. sonic-utilities' mock tables): ports from CONFIG_DB PORT."""
        ports = []
        for key, row in dump.get(4, {}).items():
            table, _, name = key.partition("|")
            if table == "PORT":
                speed = row.get("speed", "")
                ports.append(TwinPort(name, int(speed) if speed.isdigit() else 0))
        return cls(hostname, ports, dump=dump)

    def _now(self) -> int:
        return self.clock

    # -- Twin protocol -------------------------------------------------------------------------------
    def run(self, command: str, *, sudo: bool) -> CommandResult:
        self.clock += max(1, invocations(command))
        self._invalidate()
        self.run_due_timers()
        if self.faults.hang_next:
            self.faults.hang_next = False
            return CommandResult(delay_s=HANG_SECONDS)
        message = self.faults.take_fail(command)
        if message is not None:
            result = CommandResult(stderr=message.rstrip("\n") + "\n", exit_code=1)
        else:
            try:
                ran: list[list[str]] = []

                def dispatch(words: list[str], as_root: bool) -> CommandResult:
                    ran.append(list(words))  # what really ran: `a || b` runs b only when a fails
                    return self._dispatch(words, as_root)

                result = run_line(command, dispatch, sudo, self._write_redirect)
                result.ran = ran
            except Exception as exc:  # a twin bug must look like a crashing tool, not kill the SSH session
                name = command.split()[0] if command.split() else "bash"
                text = f'Traceback (most recent call last):\n  File "{name}"\n{type(exc).__name__}: {exc}\n'
                result = CommandResult(stderr=text, exit_code=1)
        result.delay_s += self.faults.latency_s
        if self.faults.take_command_drop():
            result.disconnect = True
        return result

    def write_file(self, path: str, data: bytes) -> None:
        self.run_due_timers()
        path = self._abs(path)
        if path == cli_config.SAVED_CONFIG:  # a startup config uploaded for `config reload -y`
            self._saved = data.decode("utf-8", errors="replace")
            return
        self.files[path] = data

    def read_file(self, path: str) -> bytes | None:
        self.run_due_timers()
        path = self._abs(path)
        if path == cli_config.SAVED_CONFIG:
            return self.saved_config().encode()
        if path == VERSION_FILE:  # what `show version` and GCU read (sonic-buildimage sonic_version.yml.j2)
            return version_yml(self.sonic_version, self.asic_type).encode()
        if path == f"/usr/share/sonic/device/{self.sku.platform}/{self.sku.hwsku}/pg_profile_lookup.ini":
            return self.sku.lookup_ini().encode()  # what buffermgrd reads
        if path.startswith(CHECKPOINT_DIR) and path.endswith(".cp.json"):
            text = self.gcu.checkpoint_text(path[len(CHECKPOINT_DIR) : -len(".cp.json")])
            return None if text is None else text.encode()
        return self.files.get(path)

    def inject_fault(self, kind: str, options: dict[str, str]) -> str:
        return f"{self.hostname}: {self.faults.arm(kind, options)}"

    def set_traffic(self, port: str, pattern: str) -> str:
        if port not in self.port_names:
            raise ValueError(f"{self.hostname} has no port {port!r}")
        if pattern not in PATTERNS:
            raise ValueError(f"traffic pattern must be one of {', '.join(PATTERNS)}, not {pattern!r}")
        self.traffic.set_pattern(port, pattern)
        self._invalidate()
        return f"{self.hostname} {port}: traffic {pattern}"

    # -- helpers used by the command modules ---------------------------------------------------------
    def db_by_name(self, name: str) -> HashDb | None:
        db_id = DB_IDS.get(name)
        return None if db_id is None else self.db_by_id(db_id)

    def db_by_id(self, db_id: int) -> HashDb | None:
        return {4: self.config, 0: self.appl, 6: self.state, 2: self.counters, 1: self.asic}.get(db_id)

    def _appl_table(self, table: str) -> dict[str, dict[str, str]]:
        return self.appl.table(table)

    def after_config_write(self) -> None:
        """What SONiC's daemons do after a CONFIG_DB change: buffermgrd reacts, derived DBs follow."""
        self.buffers.reconcile(self.config, self.port_names)
        self._invalidate()

    def clear_watermarks(self, wm_type: str, *, persistent: bool) -> None:
        """A WATERMARK_CLEAR_REQUEST: watermarkorch zeroes one field of the USER (or PERSISTENT) table."""
        table, field, oids = watermark_oids(self.counters, wm_type, persistent=persistent)
        if self.counters.ports:
            self.traffic.clear_watermark(field, persistent=persistent)
            return
        for oid in oids:  # a loaded dump: its rows are data, zero them in place
            if self.counters.hget(table + oid, field) is not None:
                self.counters.hset(table + oid, {field: "0"})

    def allow_config_write(self) -> bool:
        return self.faults.allow_single_write()

    def reload_config(self, doc: dict[str, dict[str, dict[str, object]]]) -> None:
        """`config reload`: CONFIG_DB is replaced and the daemons restart (fresh counters and watchdog)."""
        self.config.rows.clear()
        for table, rows in doc.items():
            for key, row in rows.items():
                self.config.rows[f"{table}|{key}"] = cli_db.typed_to_raw(row)
        self.config.version += 1
        self.switch_table = switch_table_row(self.config.row("DEVICE_METADATA", "localhost"))  # swss restarts
        self.buffers = BufferManager(self.buffer_model, lambda text: self.syslog.append((self.clock, text)), self.sku)
        self.traffic.flows.clear()
        self.traffic.watchdog.storms.clear()
        self.counter_snapshots.clear()
        self.after_config_write()

    def read_text(self, path: str) -> str | None:
        data = self.read_file(path)
        return None if data is None else data.decode("utf-8", errors="replace")

    def saved_config(self) -> str:
        if self._saved is not None:
            return self._saved
        # The startup config is the booted image saved once (`config save` after first boot, as a provisioned
        # switch has it): the render plus what buffermgrd wrote at boot. Re-made on demand, not stored per twin.
        fresh = ConfigDb()
        seed_config(fresh, self.hostname, self.ports, self.buffer_model, self.seed, self.sku)
        BufferManager(self.buffer_model, lambda text: None, self.sku).reconcile(fresh, self.port_names)
        return config_json(fresh.typed_json())

    def save_config(self, path: str) -> None:
        text = config_json(self.config.typed_json())  # `config save` is `sonic-cfggen -d --print-data`
        if self._abs(path) == cli_config.SAVED_CONFIG:
            self._saved = text
        else:
            self.files[self._abs(path)] = text.encode()

    def run_due_timers(self) -> None:
        """Run background jobs whose `sleep` has elapsed (checked whenever the switch is used)."""
        now = self.wall()
        due = [t for t in self.timers if t[0] <= now]
        if not due:
            return
        self.timers = [t for t in self.timers if t[0] > now]
        for _, script, sudo in sorted(due):
            try:
                run_line(script, self._dispatch, sudo, self._write_redirect)
            except Exception as exc:  # a background job's failure is logged, like a crashed process
                self.syslog.append((self.clock, f"ERR bash: background job failed: {type(exc).__name__}: {exc}"))

    def _write_redirect(self, path: str, data: bytes, append: bool) -> None:
        old = (self.read_file(path) or b"") if append else b""
        self.write_file(path, old + data)

    def _abs(self, path: str) -> str:
        return posixpath.normpath(posixpath.join(HOME, path))

    def _invalidate(self) -> None:
        self.appl.invalidate()
        self.state.invalidate()
        self.asic.invalidate()

    # -- dispatch ------------------------------------------------------------------------------------
    def _dispatch(self, words: list[str], sudo: bool) -> CommandResult:
        handler = self._handlers().get(words[0])
        if handler is None:
            return CommandResult(stderr=f"-bash: {words[0]}: command not found\n", exit_code=127)
        return handler(words, sudo)

    def _handlers(self) -> dict[str, Callable[[list[str], bool], CommandResult]]:
        return {
            "echo": lambda w, s: _echo(w),
            "cat": lambda w, s: self._cat(w),
            "sleep": lambda w, s: self._sleep(w),
            "true": lambda w, s: CommandResult(),
            "false": lambda w, s: CommandResult(exit_code=1),
            "hostname": lambda w, s: CommandResult(stdout=f"{self.hostname}\n"),
            "sonic-cfggen": lambda w, s: cli_db.sonic_cfggen(self, w),
            "sonic-db-cli": lambda w, s: cli_db.sonic_db_cli(self, w),
            "redis-cli": lambda w, s: cli_db.redis_cli(self, w),
            "show": lambda w, s: cli_show.run_show(self, w),
            "pfc": lambda w, s: cli_show.run_pfc(self, w),
            "intfutil": lambda w, s: cli_show.intfutil(self, w),
            "pfcstat": lambda w, s: cli_show.pfcstat(self, w[1:]),
            "queuestat": lambda w, s: cli_stats.queue_script(self, "queue", w[1:]),
            "wredstat": lambda w, s: cli_stats.queue_script(self, "wred", w[1:]),
            "watermarkstat": lambda w, s: cli_stats.watermark_script(self, w[1:]),
            "pfcwd": lambda w, s: cli_show.run_pfcwd(self, w, s),
            "ecnconfig": lambda w, s: cli_show.run_ecnconfig(self, w, s),
            "sonic-clear": lambda w, s: cli_show.run_sonic_clear(self, w),
            "mmuconfig": lambda w, s: cli_show.mmu_config(self, w) if "-l" in w else self._root_only(w, s),
            "buffershow": lambda w, s: cli_show.mmu_config(self, w, state=True),
            "config": lambda w, s: cli_config.run_config(self, w, s),
            "sh": self._sh,
            "bash": self._sh,
            "setsid": self._setsid,
            "test": lambda w, s: self._test(w[1:]),
            "[": lambda w, s: self._test(w[1:-1] if w[-1] == "]" else w[1:]),
            "rm": lambda w, s: self._rm(w),
            "printf": lambda w, s: file_cli.printf(w),
            "mv": lambda w, s: file_cli.mv(self.files, w, self._abs),
        }

    def _root_only(self, words: list[str], sudo: bool) -> CommandResult:
        if not sudo:
            return CommandResult(stderr="Root privileges required for this operation\n", exit_code=1)
        return CommandResult(stderr=f"{words[0]}: this option is not available on this device\n", exit_code=1)

    def _sh(self, words: list[str], sudo: bool) -> CommandResult:
        if len(words) < 3 or words[1] != "-c":
            return CommandResult(stderr=f"{words[0]}: only -c SCRIPT is available here\n", exit_code=2)
        return run_line(words[2], self._dispatch, sudo, self._write_redirect)

    def _setsid(self, words: list[str], sudo: bool) -> CommandResult:
        """`setsid -f sh -c 'sleep N; rest'` starts a detached timer; anything else runs detached at once."""
        rest = [w for w in words[1:] if w not in ("-f", "--fork", "-w", "--wait")]
        if not rest:
            return CommandResult(stderr="setsid: no command specified\n", exit_code=1)
        script = rest[2] if rest[:2] == ["sh", "-c"] and len(rest) > 2 else ""
        match = re.match(r"\s*sleep\s+(\d+(?:\.\d+)?)\s*;\s*(.*)\Z", script, re.S)
        if match:
            self.timers.append((self.wall() + float(match.group(1)), match.group(2), sudo))
            return CommandResult()
        self._dispatch(rest, sudo)
        return CommandResult()

    def _test(self, args: list[str]) -> CommandResult:
        if len(args) == 2 and args[0] in ("-e", "-f"):
            return CommandResult(exit_code=0 if self.read_file(args[1]) is not None else 1)
        if len(args) == 2 and args[0] == "-d":
            return CommandResult(exit_code=0 if args[1] in ("/", "/tmp", "/etc/sonic", HOME) else 1)
        return CommandResult(exit_code=2, stderr="test: only -e/-f/-d PATH are available here\n")

    def _rm(self, words: list[str]) -> CommandResult:
        force = any(w.startswith("-") and "f" in w for w in words[1:])
        err, code = "", 0
        for path in (w for w in words[1:] if not w.startswith("-")):
            if self.files.pop(self._abs(path), None) is None and not force:
                err += f"rm: cannot remove '{path}': No such file or directory\n"
                code = 1
        return CommandResult(stderr=err, exit_code=code)

    def _cat(self, words: list[str]) -> CommandResult:
        out, err, code = "", "", 0
        for path in words[1:]:
            text = self.read_text(path)
            if text is None:
                err += f"cat: {path}: No such file or directory\n"
                code = 1
            else:
                out += text
        return CommandResult(stdout=out, stderr=err, exit_code=code)

    def _sleep(self, words: list[str]) -> CommandResult:
        try:
            seconds = float(words[1]) if len(words) > 1 else -1.0
        except ValueError:
            seconds = -1.0
        if seconds < 0:
            return CommandResult(stderr="sleep: missing operand\n", exit_code=1)
        self.clock += int(seconds * 1000 // TICK_MS)
        self._invalidate()
        return CommandResult(delay_s=seconds)


def _echo(words: list[str]) -> CommandResult:
    args = words[1:]
    newline = "\n"
    if args[:1] == ["-n"]:
        args, newline = args[1:], ""
    return CommandResult(stdout=" ".join(args) + newline)


def _fixed(rows: dict[str, Row]) -> Callable[[], dict[str, Row]]:
    return lambda: rows
