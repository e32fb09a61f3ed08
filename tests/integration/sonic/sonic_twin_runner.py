"""TwinRunner: a CommandRunner that calls a SonicTwin in-process (no sockets), with SSH-like failure.

A twin answer with `disconnect=True` is what an SSH client sees as a dropped session, so it raises
SessionLost exactly as NetmikoRunner does; `reconnect()` opens a "new session" to the same twin.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.errors import SessionLost
from agent.platforms.base import RunResult
from rocelab.twin import Twin

# leaf1 of the default lab: cabled ports, their peers and link roles
CABLED = {
    "Ethernet0": ("host1:eth1", "host"),
    "Ethernet4": ("host2:eth1", "host"),
    "Ethernet8": ("spine1:Ethernet0", "fabric"),
    "Ethernet12": ("spine2:Ethernet0", "fabric"),
}


class TwinRunner:
    def __init__(self, twin: Twin, device: str | None = None) -> None:
        self.twin = twin
        self.device = device or twin.hostname
        self.round_trips = 0
        self.uploads = 0
        self.history: list[str] = []
        self.connected = True
        self.before_run: Callable[[str], None] | None = None  # test hook: arm a fault before a command
        self.can_reconnect = True

    def run(self, command: str, *, timeout: float = 60.0) -> RunResult:
        if not self.connected:
            raise SessionLost(self.device, command[:40], "session is closed")
        if self.before_run is not None:
            self.before_run(command)
        self.round_trips += 1
        self.history.append(command)
        res = self.twin.run(command, sudo=False)
        if res.disconnect:
            self.connected = False
            raise SessionLost(self.device, command[:40], "session lost (the switch closed the connection)")
        return RunResult(output=res.stdout + res.stderr, exit_code=res.exit_code, stderr=res.stderr)

    def upload(self, path: str, data: bytes) -> None:
        if not self.connected:
            raise SessionLost(self.device, f"upload {path}", "session is closed")
        self.uploads += 1
        self.twin.write_file(path, data)

    def reconnect(self) -> TwinRunner:
        from agent.errors import DeviceError

        if not self.can_reconnect:
            raise DeviceError(self.device, "connect", "unreachable (test: controller cut off)")
        self.connected = True
        return self
