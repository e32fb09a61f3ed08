"""HostTwin: an in-memory Linux host with ConnectX (mlx5) NICs behind the `Twin` protocol.

The SSH server hands every command line to `run`; the shell (`shell.py`) parses it and the tool modules
print what iproute2/ethtool/sysfs print. Time has two sources: each `run` is one tick of a logical clock
(it drives the counter model, so gathers are deterministic), and link flaps last `flap-time` seconds of
the injectable wall clock (or N commands with `flap-time commands=N`) so an agent that waits sees the
link come back.
"""

from __future__ import annotations

import errno
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rocelab.host import counters
from rocelab.host.coreutils import builtins
from rocelab.host.faults import Faults
from rocelab.host.nic import BNXT, MIN_MTU, MLX5, MLX5_MAX_MTU, SEL_DSCP, VETH, Nic, lab_ipv4, new_nic
from rocelab.host.shell import Builtin, Shell
from rocelab.twin import CommandResult, TwinNic

FLAVOURS = {"6.1": (6, 1), "6.5": (6, 5)}
_MAX_MTU = {MLX5: MLX5_MAX_MTU, BNXT: 9500, VETH: 65535}
_BUILTINS: dict[str, Builtin] | None = None
_PERSISTED: tuple[str, ...] = ("mtu", "admin_up", "pfc_en", "pfc_delay", "apps", "dscp2prio", "trust_dscp")
_PERSISTED += ("manual_buffer", "prio_buffer", "buffer_size", "dcbx", "ecn_np", "ecn_rp", "traffic_class")
_PERSISTED += ("roce_tos", "roce_mode", "cm_dir", "pause_rx", "pause_tx")


def _shared_builtins() -> dict[str, Builtin]:
    global _BUILTINS
    if _BUILTINS is None:
        _BUILTINS = builtins()
    return _BUILTINS


class HostTwin:
    """One RDMA host; see the module docstring. Implements `rocelab.twin.Twin`."""

    def __init__(
        self,
        hostname: str,
        nics: Sequence[TwinNic],
        *,
        iproute2_flavour: str = "6.1",
        state_dir: Path | None = None,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if iproute2_flavour not in FLAVOURS:
            raise ValueError(f"iproute2_flavour must be one of {', '.join(FLAVOURS)}, not {iproute2_flavour!r}")
        names = [n.netdev for n in nics]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate netdev names in {names}")
        self.hostname = hostname
        self.flavour = FLAVOURS[iproute2_flavour]
        self.iproute2_version = f"{self.flavour[0]}.{self.flavour[1]}.0"
        self.kernel_release = "6.1.0-28-amd64"
        self.tcp_ecn = 2
        self._nics = {n.netdev: new_nic(n, i, seed) for i, n in enumerate(nics)}
        self._seed = seed
        self._clock = clock
        self._skew = 0.0  # seconds added by `sleep` inside command lines
        self._tick = 0
        self._faults = Faults()
        self._flap_seconds = 2.0
        self._flap_commands = 0
        self._files: dict[str, bytes] | None = None
        self._state_file = state_dir / f"{hostname}.json" if state_dir else None
        self._saved_text: str | None = None  # what _save last wrote
        if self._state_file and self._state_file.exists():
            self._load()

    # ------------------------------------------------------------------ Twin protocol

    def run(self, command: str, *, sudo: bool) -> CommandResult:
        self._tick += 1
        for nic in self._nics.values():
            if nic.flap_commands_left:
                nic.flap_commands_left -= 1
            counters.advance(nic, self._tick, self._seed, self.carrier(nic))
        delay, drop = self._faults.session()
        skew_before = self._skew
        outcome = Shell(self, _shared_builtins(), root=sudo).execute(command)
        delay += self._skew - skew_before
        if sudo or "sudo" in command:
            self._save()
        return CommandResult(outcome.stdout, outcome.stderr, outcome.rc, delay_s=delay, disconnect=drop)

    def write_file(self, path: str, data: bytes) -> None:
        if path.startswith(("/sys/", "/proc/", "/etc/")):
            raise PermissionError(f"{path}: Permission denied")
        self.put_user_file(path, data)
        self._save()

    def read_file(self, path: str) -> bytes | None:
        from rocelab.host import files

        try:
            return files.read(self, path).encode()
        except files.FsError:
            return None

    def inject_fault(self, kind: str, options: dict[str, str]) -> str:
        if kind == "flap-time":
            return self._arm_flap(options)
        if kind == "driver-reload":
            return self._driver_reload()
        if kind == "drop-address":
            return self._drop_address(options.get("dev"))
        if kind == "clear":
            self._flap_seconds, self._flap_commands = 2.0, 0
            for nic in self._nics.values():
                nic.ipv4 = lab_ipv4(nic.rdma_index, self._seed)
        return self._faults.arm(kind, options)

    def set_traffic(self, port: str, pattern: str) -> str:
        nic = self._nics.get(port) or self.rdma_nic(port.split("/")[0])
        if nic is None:
            raise ValueError(f"{self.hostname} has no NIC {port!r}; NICs: {', '.join(self._nics)}")
        if pattern not in counters.PATTERNS:
            raise ValueError(f"unknown traffic pattern {pattern!r}; allowed: {', '.join(counters.PATTERNS)}")
        counters.advance(nic, self._tick, self._seed, self.carrier(nic))
        nic.traffic = pattern
        return f"{self.hostname} {nic.netdev}: traffic {pattern}"

    # ------------------------------------------------------------------ state used by the tool modules

    def nics(self) -> list[Nic]:
        return list(self._nics.values())

    def nic(self, dev: str) -> Nic | None:
        return self._nics.get(dev)

    def rdma_nic(self, rdma_device: str) -> Nic | None:
        return next((n for n in self._nics.values() if n.has_rdma and n.rdma_device == rdma_device), None)

    def now(self) -> float:
        return self._clock() + self._skew

    def sleep(self, seconds: float) -> None:
        self._skew += seconds

    def carrier(self, nic: Nic) -> bool:
        return nic.admin_up and nic.flap_commands_left == 0 and self.now() >= nic.flap_until

    def toggle_link(self, nic: Nic) -> None:
        """mlx5_toggle_port_link: carrier and RDMA port go down for the configured flap time."""
        nic.link_down_events += 1
        if self._flap_commands:
            nic.flap_commands_left = self._flap_commands + 1  # `run` counts down before each command
        else:
            nic.flap_until = self.now() + self._flap_seconds

    def app_write_fault(self, nic: Nic) -> int:
        return self._faults.app_write(nic.netdev)

    def command_fault(self, command: str) -> str | None:
        return self._faults.command_failure(command)

    def set_mtu(self, nic: Nic, mtu: int) -> int:
        if mtu > _MAX_MTU[nic.driver]:
            return errno.ERANGE
        if mtu < MIN_MTU:
            return errno.EINVAL
        nic.mtu = mtu
        return 0

    def set_admin(self, nic: Nic, up: bool) -> None:
        if nic.admin_up and not up:
            nic.link_down_events += 1
        nic.admin_up = up

    def user_file(self, path: str) -> bytes | None:
        return self._files.get(path) if self._files else None

    def remove_user_file(self, path: str) -> bool:
        removed = self._files is not None and self._files.pop(path, None) is not None
        if removed:
            self._save()
        return removed

    def put_user_file(self, path: str, data: bytes) -> None:
        if self._files is None:
            self._files = {}
        self._files[path] = data

    # ------------------------------------------------------------------ faults, persistence

    def _arm_flap(self, options: dict[str, str]) -> str:
        if "commands" in options:
            self._flap_commands = int(options["commands"])
            return f"PFC changes take the link down for {self._flap_commands} command(s)"
        try:
            seconds = float(options.get("seconds", ""))
        except ValueError:
            raise ValueError("flap-time needs seconds=S or commands=N") from None
        if seconds < 0:
            raise ValueError("flap-time seconds must be >= 0")
        self._flap_seconds, self._flap_commands = seconds, 0
        return f"PFC changes take the link down for {seconds:g} s"

    def _drop_address(self, dev: str | None) -> str:
        nics = [n for n in self._nics.values() if dev in (None, n.netdev)]
        if not nics:
            raise ValueError(f"{self.hostname} has no NIC {dev!r}; NICs: {', '.join(self._nics)}")
        for nic in nics:
            nic.ipv4 = None
        names = ", ".join(n.netdev for n in nics)
        return f"{names}: IPv4 address removed, its RoCE GIDs (indices 2, 3) are gone"

    def _driver_reload(self) -> str:
        """Reload mlx5 (`devlink dev reload`): firmware keeps PFC/ETS/trust/DSCP map; with DSCP trust the
        driver pre-populates all 64 DSCP APP entries from the firmware map (reference §0.6). RDMA-CM and
        MLNX_OFED ToS settings live in the driver and are lost."""
        for nic in self._nics.values():
            if nic.driver != MLX5:
                continue
            if nic.trust_dscp:
                others = tuple(a for a in nic.apps if a[0] != SEL_DSCP)
                nic.apps = others + tuple((SEL_DSCP, d, nic.dscp2prio[d]) for d in range(64))
            nic.traffic_class, nic.roce_tos, nic.roce_mode, nic.cm_dir = None, 0, "RoCE v2", False
            self.toggle_link(nic)
        self._save()
        return "mlx5 driver reloaded on every ConnectX NIC"

    def _snapshot(self) -> dict[str, Any]:
        nics = {name: {key: getattr(nic, key) for key in _PERSISTED} for name, nic in self._nics.items()}
        for name, nic in self._nics.items():
            nics[name]["ets"] = [getattr(nic.ets, f) for f in nic.ets.__dataclass_fields__]
            nics[name]["np_params"], nics[name]["rp_params"] = nic.np_params, nic.rp_params
        files = {path: data.decode("latin-1") for path, data in (self._files or {}).items()}
        return {"tcp_ecn": self.tcp_ecn, "nics": nics, "files": files}

    def _save(self) -> None:
        if self._state_file is None:
            return
        text = json.dumps(self._snapshot())
        if text == self._saved_text and self._state_file.exists():  # a read under sudo changed nothing
            return
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._state_file.with_suffix(".tmp")
        temporary.write_text(text)
        temporary.replace(self._state_file)
        self._saved_text = text

    def _load(self) -> None:
        from rocelab.host.nic import Ets

        assert self._state_file is not None
        data = json.loads(self._state_file.read_text())
        self.tcp_ecn = data["tcp_ecn"]
        for name, saved in data["nics"].items():
            nic = self._nics.get(name)
            if nic is None:
                continue
            for key in _PERSISTED:
                value = saved[key]
                setattr(nic, key, tuple(tuple(v) for v in value) if key == "apps" else _tupled(value))
            nic.ets = Ets(*(_tupled(v) for v in saved["ets"]))
            nic.np_params, nic.rp_params = saved["np_params"], saved["rp_params"]
        self._files = {path: text.encode("latin-1") for path, text in data["files"].items()} or None


def _tupled(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
