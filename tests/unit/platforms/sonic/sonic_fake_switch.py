"""A small in-memory SONiC for unit tests of the transaction logic (precise fault points).

It implements only the command lines the SONiC adapter sends, with GCU semantics that matter here:
`apply-patch` writes change by change (so a drop after k changes leaves a partial CONFIG_DB),
`rollback` restores a checkpoint, and a traditional-model buffermgrd derives APPL_DB lossless PGs from
speed, cable length and pfc_enable. Integration tests run the same code against the real lab twin.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonpatch

from agent.errors import SessionLost
from agent.platforms.base import RunResult
from rocelab.shell import split_list

FIXTURES = Path(__file__).parents[3] / "fixtures" / "sonic_platform"
LOOKUP = {("400000", "5m"): ("100352", "18432", "81920"), ("400000", "40m"): ("120832", "18432", "102400")}


REDIRECTIONS = {"2>&1", "2>/dev/null", ">/dev/null", "</dev/null"}  # no effect on a fake without stderr


def default_config() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / "config_db_leaf1_default.json").read_text())
    return doc


class FakeSonic:
    def __init__(self, device: str = "leaf1", config: dict[str, Any] | None = None) -> None:
        self.device = device
        self.config = config if config is not None else default_config()
        self.saved = copy.deepcopy(self.config)
        self.checkpoints: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.timers: list[tuple[str, int]] = []
        self.round_trips = 0
        self.history: list[str] = []
        self.refuse_tables: set[str] = set()
        self.drop_after_writes: int | None = None
        self.patch_writes = 0  # GCU writes so far (all apply-patch calls)
        self.no_lossless_pg = False
        self.connected = True
        self.state_db: dict[str, dict[str, str]] = {
            "BUFFER_MAX_PARAM_TABLE|Ethernet0": {"max_headroom_size": "1048576"}
        }

    # -- CommandRunner ------------------------------------------------------------------------
    def run(self, command: str, *, timeout: float = 60.0) -> RunResult:
        if not self.connected:
            raise SessionLost(self.device, command[:40], "session lost (fake)")
        self.round_trips += 1
        self.history.append(command)
        out, code = "", 0
        for op, part in split_list(command):
            if (op == "&&" and code != 0) or (op == "||" and code == 0):
                continue
            text, code = self.one(part.replace("$?", str(code)))  # the transaction's status markers
            out += text
        return RunResult(out, code)

    def upload(self, path: str, data: bytes) -> None:
        if not self.connected:
            raise SessionLost(self.device, f"upload {path}", "session lost (fake)")
        self.files[path] = data

    def reconnect(self) -> FakeSonic:
        self.connected = True
        return self

    # -- command handlers ---------------------------------------------------------------------
    def one(self, cmd: str) -> tuple[str, int]:
        words = [w for w in shlex.split(cmd) if w not in REDIRECTIONS]
        if words and words[0] == "sudo":
            words = words[1:]
        line = " ".join(words)
        if words[0] == "echo" and ">" in words:  # the dead-man markers the commit line writes
            self.files[words[words.index(">") + 1]] = (" ".join(words[1 : words.index(">")]) + "\n").encode()
            return "", 0
        if words[0] == "echo":
            return " ".join(words[1:]) + "\n", 0
        if words[:3] == ["test", "!", "-e"]:
            return "", 1 if words[3] in self.files else 0
        if words[:2] == ["test", "-e"]:
            return "", 0 if words[2] in self.files else 1
        if words[0] == "true":
            return "", 0
        if line == "sonic-cfggen -d --print-data":
            return json.dumps(self.config, indent=4) + "\n", 0
        if line == "show version":
            return (FIXTURES / "show_version.txt").read_text(), 0
        if line == "show interfaces status":
            return (FIXTURES / "show_interfaces_status_leaf1.txt").read_text(), 0
        if line == "show pfc counters":
            return (FIXTURES / "show_pfc_counters.txt").read_text(), 0
        if line == "show queue counters --json":
            return (FIXTURES / "show_queue_counters.json").read_text(), 0
        if line == "show queue wredcounters":
            return (FIXTURES / "show_queue_wredcounters.txt").read_text(), 0
        if line in ("pfcwd show stats -e", "show priority-group watermark headroom"):
            return "", 0
        if words[0] == "sonic-db-cli":
            return self.db_cli(words[1:])
        if words[0] == "cat":
            return self.cat(words[1])
        if words[0] == "rm":
            for path in words[2:]:
                self.files.pop(path, None)
            return "", 0
        if words[:2] == ["setsid", "-f"]:
            return self.arm(words)
        if words[0] == "config":
            return self.config_cmd(words[1:])
        return f"-bash: {words[0]}: command not found\n", 127

    def cat(self, path: str) -> tuple[str, int]:
        if path == "/etc/sonic/config_db.json":
            return json.dumps(self.saved, indent=4) + "\n", 0
        if path in self.files:
            return self.files[path].decode(), 0
        return f"cat: {path}: No such file or directory\n", 1

    def arm(self, words: list[str]) -> tuple[str, int]:
        script = words[words.index("-c") + 1]
        match = re.match(r"sleep (\d+); test -e (\S+) && config rollback (\S+) && rm -f", script)
        assert match, script
        self.timers.append((match.group(3), int(match.group(1))))
        return "", 0

    def fire_timers(self) -> None:
        """The device-side timers expire (as if the controller vanished)."""
        for txid, _seconds in self.timers:
            if f"/tmp/{txid}.pending" in self.files:
                self.config = copy.deepcopy(self.checkpoints[txid])
                self.files.pop(f"/tmp/{txid}.pending", None)
                self.files.pop("/tmp/roce-agent.pending", None)
        self.timers.clear()

    def db_cli(self, args: list[str]) -> tuple[str, int]:
        db, verb, key, rest = args[0], args[1], args[2], args[3:]
        if db == "STATE_DB":
            return repr(self.state_db.get(key, {})) + "\n", 0
        if db == "APPL_DB":
            appl = self.appl_db()
            if verb == "keys":
                return "".join(k + "\n" for k in sorted(appl) if fnmatch.fnmatchcase(k, key)), 0
            return repr(appl.get(key, {})) + "\n", 0
        table, _, row = key.partition("|")
        entries = self.config.setdefault(table, {})
        if verb == "del":
            entries.pop(row, None)
        elif verb == "hdel":
            for f in rest:
                entries.get(row, {}).pop(f, None)
        elif verb == "hset":
            entries.setdefault(row, {}).update(dict(zip(rest[::2], rest[1::2], strict=True)))
        if not entries:
            self.config.pop(table)
        return "", 0

    def appl_db(self) -> dict[str, dict[str, str]]:
        """Traditional buffermgrd: lossless PG + profile from speed, cable and pfc_enable."""
        appl: dict[str, dict[str, str]] = {}
        for key, entry in self.config.get("BUFFER_PG", {}).items():
            appl["BUFFER_PG_TABLE:" + key.replace("|", ":")] = dict(entry)
        for name, entry in self.config.get("BUFFER_PROFILE", {}).items():
            appl[f"BUFFER_PROFILE_TABLE:{name}"] = dict(entry)
        cables = self.config.get("CABLE_LENGTH", {}).get("AZURE", {})
        for port, qos in self.config.get("PORT_QOS_MAP", {}).items():
            speed = self.config.get("PORT", {}).get(port, {}).get("speed")
            row = LOOKUP.get((str(speed), cables.get(port, "0m")))
            prios = sorted(int(p) for p in qos.get("pfc_enable", "").split(",") if p)
            if self.no_lossless_pg or row is None or not prios:
                continue
            name = f"pg_lossless_{speed}_{cables[port]}_profile"
            pgs = str(prios[0]) if len(prios) == 1 else f"{prios[0]}-{prios[-1]}"
            appl[f"BUFFER_PG_TABLE:{port}:{pgs}"] = {"profile": name}
            size, xon, xoff = row
            appl[f"BUFFER_PROFILE_TABLE:{name}"] = {
                "pool": "ingress_lossless_pool",
                "size": size,
                "xon": xon,
                "xoff": xoff,
                "dynamic_th": "-3",
            }
        return appl

    def config_cmd(self, args: list[str]) -> tuple[str, int]:
        verb = args[0]
        if verb == "apply-patch":
            return self.apply_patch(args[-1], dry_run="--dry-run" in args)
        if verb == "replace":
            if "--dry-run" not in args:
                self.config = json.loads(self.files[args[-1]])
            return "Config replaced successfully.\n", 0
        if verb == "checkpoint":
            self.checkpoints[args[1]] = copy.deepcopy(self.config)
            return "Checkpoint created successfully.\n", 0
        if verb == "rollback":
            if args[1] not in self.checkpoints:
                return f"Failed to rollback config due to: checkpoint {args[1]} not found\n", 1
            self.config = copy.deepcopy(self.checkpoints[args[1]])
            return "Config rolled back successfully.\n", 0
        if verb == "list-checkpoints":
            return json.dumps(sorted(self.checkpoints), indent=4) + "\n", 0
        if verb == "delete-checkpoint":
            self.checkpoints.pop(args[1], None)
            return "Checkpoint deleted successfully.\n", 0
        if verb == "save":
            self.saved = copy.deepcopy(self.config)
            return "", 0
        return f'Error: No such command "{verb}".\n', 2

    def apply_patch(self, path: str, *, dry_run: bool) -> tuple[str, int]:
        ops = json.loads(self.files[path])
        refused = sorted({op["path"].split("/")[1] for op in ops} & self.refuse_tables)
        if refused:
            return f"Failed to apply patch due to: Modification of {refused[0]} table is illegal\n", 1
        if dry_run:
            return "Patch applied successfully.\n", 0
        for op in ops:  # the budget counts the writes of every patch of the change (steps included)
            if self.drop_after_writes is not None and self.patch_writes >= self.drop_after_writes:
                self.connected = False
                raise SessionLost(self.device, "config apply-patch", "session lost (fake)")
            self.config = jsonpatch.apply_patch(self.config, [op])
            self.patch_writes += 1
        return "Patch applied successfully.\n", 0
