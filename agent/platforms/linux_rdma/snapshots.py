"""Before-snapshots of host applies, kept ON the host, so an applied change can be undone later.

A NIC has no checkpoint of its own (unlike SONiC's `config checkpoint`), so every apply writes what it
needs to undo itself to the host before its first write, under `/var/tmp/roce-agent/`:

* ``snapshot-TXID.json``: the before gather (raw command output), which settings the plan touches and
  which rdma_cm configfs directories the apply created; written with the runner's `upload` (SFTP);
* ``pending``: the txid of the apply not yet confirmed (written right after its snapshot, by the first
  step of the change line: a marker without its snapshot never exists, and no write runs without both);
* ``index.json``: the confirmed snapshots, oldest first; `confirm` keeps the last `keep` of them.

An apply spends no round trip of its own on them before its writes: the directory is created and the
index read in the snapshot gather's round trip (`prepare`/`prepared`), so `confirm` is one `rm -f` and
one upload.

Why on the host: whoever runs the agent next (another machine, `rollout --resume/--abort`) finds the
before state where the change was made. /var/tmp survives a reboot (the settings the snapshot restores
do not all survive one, which is why a rollback re-reads and diffs instead of replaying blindly).

There is no host-side dead-man timer: restoring needs the agent's logic (diff against the live state,
one write at a time, wait out the mlx5 PFC link flap, re-read and verify), which a `sleep N; ...` shell
on the host cannot run. The guarantee is: a pending apply stays marked on the host until confirmed, and
`rollback` (rollout `--resume`/`--abort`, `roce-agent rollback`) restores it with verification.
"""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass, field

from agent.errors import DeviceError
from agent.platforms.base import CommandRunner
from agent.platforms.linux_rdma.batch import Batch, Section
from agent.platforms.linux_rdma.commands import Cmd
from agent.platforms.linux_rdma.gather import HostRaw
from agent.platforms.linux_rdma.native import HostNative
from agent.txid import check_txid

STATE_DIR = "/var/tmp/roce-agent"
KEEP = 5  # confirmed snapshots kept per host
FORMAT = 1


@dataclass
class HostSnapshot:
    """Everything a later rollback needs, with no other input than the host itself."""

    txid: str
    raw: HostRaw  # the before gather
    touched: dict[str, list[str]]  # interface -> settings the plan writes (ops.touched_key)
    created_dirs: list[str] = field(default_factory=list)  # configfs dirs the apply created (removed on undo)
    fingerprint: str = ""
    created_at: float = 0.0

    def to_json(self) -> str:
        doc = {
            "format": FORMAT,
            "txid": self.txid,
            "created_at": self.created_at,
            "fingerprint": self.fingerprint,
            "touched": self.touched,
            "created_dirs": self.created_dirs,
            "raw": self.raw.to_dict(),
        }
        return json.dumps(doc, sort_keys=True)

    @classmethod
    def from_json(cls, device: str, text: str) -> HostSnapshot:
        try:
            doc = json.loads(text)
            if doc.get("format") != FORMAT:
                raise ValueError(f"format {doc.get('format')!r}, this agent reads {FORMAT}")
            return cls(
                txid=check_txid(str(doc["txid"])),
                raw=HostRaw.from_dict(doc["raw"]),
                touched={str(k): [str(x) for x in v] for k, v in doc["touched"].items()},
                created_dirs=[str(d) for d in doc.get("created_dirs", [])],
                fingerprint=str(doc.get("fingerprint", "")),
                created_at=float(doc.get("created_at", 0.0)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DeviceError(device, "read host snapshot", f"not a usable snapshot: {exc}") from None


class SnapshotStore:
    """The snapshot files of one host, reached through its CommandRunner (`cat`, `mkdir -p`, `rm -f`)."""

    def __init__(self, runner: CommandRunner, directory: str = STATE_DIR, keep: int = KEEP) -> None:
        self.runner = runner
        self.directory = directory.rstrip("/")
        self.keep = max(1, keep)
        self._prepared = False
        self._problem: str | None = None  # why the directory could not be created (prepared)
        self._index: list[str] | None = None  # the index as `prepared` read it (None: read it again)

    def path(self, txid: str) -> str:
        return f"{self.directory}/snapshot-{check_txid(txid)}.json"

    @property
    def pending_path(self) -> str:
        return f"{self.directory}/pending"

    @property
    def index_path(self) -> str:
        return f"{self.directory}/index.json"

    def _cat(self, path: str) -> str | None:
        res = self.runner.run(f"cat {shlex.quote(path)}", timeout=30.0)
        return res.output if res.exit_code == 0 else None

    def _run(self, what: str, argv: list[str]) -> None:
        res = self.runner.run(shlex.join(argv), timeout=30.0)
        if res.exit_code != 0:
            raise DeviceError(self.runner.device, what, res.output.strip()[:200] or f"exit {res.exit_code}")

    def prepare(self) -> Batch:
        """For the apply's snapshot gather (same round trip): create the directory, read the index."""
        return [("store:mkdir", Cmd(("mkdir", "-p", self.directory))), ("store:index", Cmd(("cat", self.index_path)))]

    def prepared(self, sections: dict[str, Section]) -> None:
        """Take what `prepare` read; an unreadable index is read again by `confirm`."""
        made, index = sections["store:mkdir"], sections["store:index"]
        self._prepared = True
        self._problem = None if made.ok else (made.output.strip()[:200] or f"exit {made.rc}")
        if index.ok:
            self._index = self._parse_index(index.output)
        elif "No such file" in index.output:
            self._index = []

    def begin(self, snap: HostSnapshot) -> tuple[str, Cmd]:
        """Before the first write: the snapshot; returns the change line's first step, the marker naming it."""
        if self._problem is not None:
            raise DeviceError(self.runner.device, "keep the host snapshot", self._problem)
        if not self._prepared:
            self._run("keep the host snapshot", ["mkdir", "-p", self.directory])
        self.runner.upload(self.path(snap.txid), (snap.to_json() + "\n").encode())
        return "store:pending", Cmd(("tee", self.pending_path), stdin=check_txid(snap.txid))

    def pending(self) -> str | None:
        text = (self._cat(self.pending_path) or "").strip()
        return check_txid(text) if text else None

    def index(self) -> list[str]:
        return self._parse_index(self._cat(self.index_path))

    def _parse_index(self, text: str | None) -> list[str]:
        if not text or not text.strip():
            return []
        try:
            return [check_txid(str(t)) for t in json.loads(text)]
        except (ValueError, TypeError) as exc:
            raise DeviceError(self.runner.device, "read host snapshot index", f"{self.index_path}: {exc}") from None

    def latest(self) -> str | None:
        """The pending apply, else the newest confirmed one."""
        pending = self.pending()
        if pending is not None:
            return pending
        kept = self.index()
        return kept[-1] if kept else None

    def load(self, txid: str) -> HostSnapshot:
        text = self._cat(self.path(txid))
        if text is None:
            raise DeviceError(self.runner.device, "read host snapshot", f"{self.path(txid)} is not on the host")
        return HostSnapshot.from_json(self.runner.device, text)

    def confirm(self, txid: str) -> None:
        """Keep the snapshot (newest of the last `keep`), drop older ones, clear the pending marker."""
        known = self._index if self._index is not None else self.index()
        kept = [t for t in known if t != txid] + [txid]
        dropped, kept = kept[: -self.keep], kept[-self.keep :]
        self.runner.upload(self.index_path, (json.dumps(kept) + "\n").encode())
        self._index = kept
        self._remove([self.pending_path, *(self.path(t) for t in dropped)])

    def discard(self, txid: str) -> None:
        """The apply undid itself (proven): neither its snapshot nor its marker is needed any more."""
        self._remove([self.pending_path, self.path(txid)])

    def _remove(self, paths: list[str]) -> None:
        self._run("remove host snapshot files", ["rm", "-f", *paths])


def new_snapshot(txid: str, raw: HostRaw, touched: dict[str, set[str]], dirs: list[str], fp: str) -> HostSnapshot:
    return HostSnapshot(txid, raw, {k: sorted(v) for k, v in touched.items()}, list(dirs), fp, time.time())


INEXACT = "not restored exactly: "


def restore_gaps(before: HostNative, after: HostNative, touched: dict[str, set[str]]) -> list[str]:
    """What a verified restore still left different from the snapshot, where the restore diff does not
    look: bandwidth on strict/vendor TCs (`dcb` can only send 0 there, its own sum check; mlx5 reads 100
    back whatever is sent, other drivers keep the 0) and the APP entries besides DSCP. Reported, never
    hidden behind "rolled back"."""
    gaps: list[str] = []
    for ifname, keys in sorted(touched.items()):
        was, now = before.nics.get(ifname), after.nics.get(ifname)
        if was is None or now is None:
            continue
        if "ets" in keys and was.ets is not None and now.ets is not None and was.ets.bw != now.ets.bw:
            gaps.append(
                f"{INEXACT}{ifname}: ets tc-bw reads {list(now.ets.bw)}, the snapshot had {list(was.ets.bw)} "
                "(on strict/vendor TCs dcb can only write 0; the scheduler does not use it there)"
            )
        app_was, app_now = (was.app, now.app) if keys & {"app_replace", "app_del"} else (None, None)
        if app_was is not None and app_now is not None and app_was != app_now:
            gaps.append(
                f"{INEXACT}{ifname}: app default-prio/other selectors read "
                f"{list(app_now.default_prio)}/{list(app_now.other)}, the snapshot had "
                f"{list(app_was.default_prio)}/{list(app_was.other)}"
            )
    return gaps
