"""Host operations: one pydantic model per kind, each with its commands and the re-read check of its effect.

`HostOperation` is a discriminated union on `kind`. Its JSON form (`model_dump(mode="json")`, field
order included) is exactly the dict plans and rollout trails have always carried, so trails and
`plan --json` documents written before operations were typed still load (`load_operations`). Every value
is validated twice: by the model when an operation is built or read back from a file, and again by
agent.platforms.linux_rdma.commands when it becomes a command line, so a plan file cannot smuggle
anything into a shell. The effect check reads the state gathered right after the write: exit codes are
not trusted (`dcb app replace` exits 0 when the kernel rejected the entries).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, ValidationError, field_validator

from agent.errors import ParseError
from agent.platforms.linux_rdma import commands as C
from agent.platforms.linux_rdma import nccl as N
from agent.platforms.linux_rdma.native import HostNative, Nic
from agent.platforms.linux_rdma.render import current_files

DscpPrio = tuple[int, int]


class _Op(BaseModel):
    """What every host operation has: the interface it writes and the line shown in a plan."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    interface: str
    kind: str  # each operation narrows it to its own literal: the union's discriminator
    summary: str

    @field_validator("interface")
    @classmethod
    def _ifname(cls, value: str) -> str:
        return C.check_ifname(value)

    def commands(self) -> list[C.Cmd]:
        raise NotImplementedError

    def touched_key(self) -> str:
        """What it changes, in the vocabulary of render.target_from_snapshot (the op kind)."""
        return self.kind

    def mismatches(self, host: HostNative) -> list[str]:
        """Empty when the state read after the write shows the effect; else what differs."""
        nic = host.nics.get(self.interface)
        if nic is None:
            return [f"{self.interface}: not in the re-read"]
        ok, got = self._check(host, nic)
        return [] if ok else [f"{self.interface}: {self.summary}: read back {got!r}"]

    def _check(self, host: HostNative, nic: Nic) -> tuple[bool, object]:
        raise NotImplementedError


class Dcbx(_Op):
    kind: Literal["dcbx"] = "dcbx"
    flags: list[str]

    def commands(self) -> list[C.Cmd]:
        return [C.dcb_dcbx_set(self.interface, list(self.flags))]

    def _check(self, host: HostNative, nic: Nic) -> tuple[bool, object]:
        return nic.dcbx is not None and "host" in nic.dcbx, sorted(nic.dcbx) if nic.dcbx is not None else None


class Pause(_Op):
    kind: Literal["pause"] = "pause"
    rx: bool
    tx: bool

    def commands(self) -> list[C.Cmd]:
        return [C.ethtool_pause_set(self.interface, self.rx, self.tx)]

    def _check(self, host: HostNative, nic: Nic) -> tuple[bool, object]:
        got = (nic.pause_rx, nic.pause_tx)
        return got == (self.rx, self.tx), got


class Mtu(_Op):
    kind: Literal["mtu"] = "mtu"
    mtu: int

    def commands(self) -> list[C.Cmd]:
        return [C.ip_link_set_mtu(self.interface, self.mtu)]

    def _check(self, host: HostNative, nic: Nic) -> tuple[bool, object]:
        got = nic.link.mtu if nic.link else None
        return got == self.mtu, got


class Ets(_Op):
    kind: Literal["ets"] = "ets"
    tsa: list[str]
    bw: list[int]
    prio_tc: list[int]

    def commands(self) -> list[C.Cmd]:
        return [C.dcb_ets_set(self.interface, list(self.tsa), list(self.bw), list(self.prio_tc))]

    def _check(self, host: HostNative, nic: Nic) -> tuple[bool, object]:
        got = (nic.ets.tsa, nic.ets.bw, nic.ets.prio_tc) if nic.ets else None
        return ets_matches(nic, (tuple(self.tsa), tuple(self.bw), tuple(self.prio_tc))), got


class AppReplace(_Op):
    kind: Literal["app_replace"] = "app_replace"
    dscp_prio: list[Annotated[DscpPrio, Field(strict=False)]]  # JSON arrays read back as pairs

    def commands(self) -> list[C.Cmd]:
        return [C.dcb_app("replace", self.interface, list(self.dscp_prio))]

    def _check(self, host: HostNative, nic: Nic) -> tuple[bool, object]:
        present = nic.app.dscp if nic.app else frozenset()
        pairs = set(self.dscp_prio)
        stale = {(d, p) for d, p in present if any(d == w and p != q for w, q in pairs)}
        return pairs <= present and not stale, sorted(present)


class AppDel(_Op):
    kind: Literal["app_del"] = "app_del"
    dscp_prio: list[Annotated[DscpPrio, Field(strict=False)]]

    def commands(self) -> list[C.Cmd]:
        return [C.dcb_app("del", self.interface, list(self.dscp_prio))]

    def _check(self, host: HostNative, nic: Nic) -> tuple[bool, object]:
        present = nic.app.dscp if nic.app else frozenset()
        return not set(self.dscp_prio) & present, sorted(present)


class Pfc(_Op):
    kind: Literal["pfc"] = "pfc"
    enabled: list[int]
    delay: int | None = None
    flaps_link: bool = False  # mlx5 toggles the link when the PFC mask changes: apply waits it out
    rdma: str | None = None  # "mlx5_0/1": the RDMA port to wait for after the flap

    def commands(self) -> list[C.Cmd]:
        return [C.dcb_pfc_set(self.interface, list(self.enabled), self.delay)]

    def _check(self, host: HostNative, nic: Nic) -> tuple[bool, object]:
        got = (nic.pfc.enabled, nic.pfc.delay) if nic.pfc else None
        return pfc_matches(nic, tuple(self.enabled), self.delay), got


class Buffer(_Op):
    kind: Literal["buffer"] = "buffer"
    prio_buffer: list[int]

    def commands(self) -> list[C.Cmd]:
        return [C.dcb_buffer_set(self.interface, list(self.prio_buffer))]

    def _check(self, host: HostNative, nic: Nic) -> tuple[bool, object]:
        got = nic.buffer.prio_buffer if nic.buffer else None
        return got == tuple(self.prio_buffer), got


class FileWrite(_Op):
    """A sysfs/configfs/procfs knob (ECN, CNP, RoCE ToS); `expect` is what reading it back must show."""

    kind: Literal["file"] = "file"
    path: str
    value: str
    expect: str
    mkdir: str | None = None  # rdma_cm configfs directory created first (removed again on rollback)

    def commands(self) -> list[C.Cmd]:
        return [*([C.mkdir(self.mkdir)] if self.mkdir else []), C.write_file(self.path, self.value)]

    def touched_key(self) -> str:
        return self.path

    def _check(self, host: HostNative, nic: Nic) -> tuple[bool, object]:
        got = current_files(host, nic).get(self.path)
        return got == self.expect, got


class NcclConf(_Op):
    """/etc/nccl.conf as a whole (host-wide; `interface` is the first RDMA port it was planned for).
    `content` None removes the file: the undo of an apply that created it."""

    kind: Literal["nccl_conf"] = "nccl_conf"
    content: str | None

    def commands(self) -> list[C.Cmd]:
        return N.write_conf(self.content)

    def touched_key(self) -> str:
        return "nccl_conf"

    def _check(self, host: HostNative, nic: Nic) -> tuple[bool, object]:
        if not host.nccl_conf_read:
            return False, "<not readable>"
        return host.nccl_conf == self.content, host.nccl_conf if host.nccl_conf is not None else "<absent>"


HostOperation = Annotated[
    Dcbx | Pause | Mtu | Ets | AppReplace | AppDel | Pfc | Buffer | FileWrite | NcclConf, Field(discriminator="kind")
]
KINDS = ("dcbx", "pause", "mtu", "ets", "app_replace", "app_del", "buffer", "pfc", "file", "nccl_conf")
_OPERATIONS: TypeAdapter[list[HostOperation]] = TypeAdapter(list[HostOperation])


def load_operations(device: str, doc: JsonValue) -> list[HostOperation]:
    """Operations from their JSON form (a plan's `patch`, a trail's `operations`); ParseError if not."""
    try:
        ops = _OPERATIONS.validate_python(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ParseError(device, "load host operations", f"operation {where}: {first['msg']}") from None
    for n, op in enumerate(ops):
        try:
            op.commands()  # the command builders' own checks (value ranges, writable paths)
        except ValueError as exc:
            raise ParseError(device, "load host operations", f"operation {n} ({op.summary}): {exc}") from None
    return ops


def ets_matches(nic: Nic, ets: tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]) -> bool:
    """Bandwidth compared on ETS TCs only: mlx5 reports 100 % for strict TCs whatever was sent."""
    if nic.ets is None:
        return False
    tsa, bw, prio_tc = ets
    if nic.ets.tsa != tsa or nic.ets.prio_tc != prio_tc:
        return False
    return all(nic.ets.bw[tc] == bw[tc] for tc in range(8) if tsa[tc] == "ets")


def pfc_matches(nic: Nic, enabled: tuple[int, ...], delay: int | None) -> bool:
    if nic.pfc is None:
        return False
    return tuple(sorted(nic.pfc.enabled)) == tuple(sorted(enabled)) and (delay is None or nic.pfc.delay == delay)
