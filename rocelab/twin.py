"""The contract between a device twin and the SSH server that serves it.

A twin is a pure in-memory device model: it executes one shell command line and returns what a real
device would print. The SSH layer (prompt, sudo, exit, SFTP) wraps any twin unchanged, so the switch and
host twins can be unit-tested without sockets and served over real SSH in integration tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass
class CommandResult:
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    delay_s: float = 0.0  # the SSH layer waits this long before answering (latency / hang faults)
    disconnect: bool = False  # the SSH layer drops the session after sending the output (fault injection)
    ran: list[list[str]] | None = None  # the commands the twin's shell really ran (cost model); None: unknown
    # stdout pieces printed while the command still runs, as (seconds after it started, text); together
    # a prefix of stdout (GCU's progress lines). Empty: all output at the end.
    paced: tuple[tuple[float, str], ...] = ()


class Twin(Protocol):
    hostname: str

    def run(self, command: str, *, sudo: bool) -> CommandResult:
        """Execute one command line as `admin` (sudo=True when prefixed by `sudo`)."""
        ...

    def write_file(self, path: str, data: bytes) -> None:
        """Receive a file over SFTP (patch files, configs)."""
        ...

    def read_file(self, path: str) -> bytes | None:
        """Serve a file over SFTP; None when it does not exist."""
        ...

    def inject_fault(self, kind: str, options: dict[str, str]) -> str:
        """Arm a fault (`roce-agent lab fault DEVICE KIND k=v ...`); returns a one-line description."""
        ...

    def set_traffic(self, port: str, pattern: str) -> str:
        """Drive the counter model of one port (idle | steady | incast ...); returns a description."""
        ...


@dataclass(frozen=True)
class TwinPort:
    """A switch port the lab seeds from the topology (name in SONiC form, speed in Mb/s)."""

    name: str  # Ethernet0, Ethernet4, ...
    speed_mbps: int = 400_000
    neighbor: str | None = None  # "device:port" when cabled; uncabled ports exist but have no neighbor
    cable_role: str | None = None  # "host" | "fabric"


@dataclass(frozen=True)
class TwinNic:
    """One RDMA NIC of a host twin (a ConnectX PF by default)."""

    netdev: str = "eth1"
    rdma_device: str | None = "mlx5_0"  # None: RoCE disabled on this NIC (a front-end port)
    speed_mbps: int = 400_000
    driver: str = "mlx5_core"  # "mlx5_core" | "veth" (no DCB) | "bnxt_en" (firmware-owned DCBX)
