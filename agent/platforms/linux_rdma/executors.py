"""Runners for RDMA hosts.

`LocalRunner` is for `roce-agent host ...` on the host itself: commands run as argument lists (never a
shell), optionally inside a network namespace (`ip netns exec NS ...`), MTU changes and link events go
through pyroute2. A batch is one round trip. Remote hosts use the shared Netmiko `linux` runner
(`agent.transports.ssh.NetmikoRunner`) wrapped by `agent.platforms.linux_rdma.batch.RemoteShell`.
"""

from __future__ import annotations

import asyncio
import glob as globmod
import os
import shlex
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from pyroute2 import AsyncIPRoute, IPRoute
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.rtnl import RTMGRP_LINK

from agent.platforms.base import RunResult
from agent.platforms.linux_rdma import commands as C
from agent.platforms.linux_rdma.batch import Batch, Section


def _has_shell_syntax(command: str) -> bool:
    """True for `;`, `|`, `&&`, redirections ... outside quotes: things only a shell would act on."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return any(tok and set(tok) <= set("();<>|&") for tok in lexer)


def _iproute(netns: str | None) -> IPRoute:
    # flags=0: never create a namespace by accident (pyroute2 defaults to O_CREAT, reference §0.11).
    return IPRoute(netns=netns, flags=0) if netns else IPRoute()


class Pyroute2LinkWaiter:
    """Waits for a netdev to be operationally UP using rtnetlink link events (no polling).

    Uses pyroute2's async API: the sync wrapper queues several events per read internally, so a
    `select()` on its socket can miss the one that matters.
    """

    def __init__(self, netns: str | None = None) -> None:
        self.netns = netns

    def wait_netdev_up(self, ifname: str, timeout: float) -> bool:
        return asyncio.run(self._wait(ifname, timeout))

    def _open(self) -> AsyncIPRoute:
        return AsyncIPRoute(netns=self.netns, flags=0) if self.netns else AsyncIPRoute()

    async def _wait(self, ifname: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        async with self._open() as events:
            await events.bind(groups=RTMGRP_LINK)
            async with self._open() as ipr:  # read the current state only after subscribing: no lost edge
                found = await ipr.link_lookup(ifname=ifname)
                if not found:
                    return False
                index = found[0]
                current = await ipr.link("get", index=index)  # "get" answers a list, "dump" a generator
                if any(m.get("operstate") == "UP" for m in current):
                    return True
            while (left := deadline - time.monotonic()) > 0:
                try:
                    batch = await asyncio.wait_for(_next_events(events), left)
                except asyncio.TimeoutError:
                    return False
                if any(_is_up(m, index) for m in batch):
                    return True
        return False


async def _next_events(events: AsyncIPRoute) -> list[Any]:
    return [m async for m in events.get()]


def _is_up(msg: Any, index: int) -> bool:
    return bool(msg.get("event") == "RTM_NEWLINK" and msg["index"] == index and msg.get("operstate") == "UP")


class LocalRunner:
    """CommandRunner + HostShell on the local machine (or inside one network namespace)."""

    def __init__(self, device: str | None = None, *, netns: str | None = None, timeout: float = 60.0) -> None:
        if netns is not None and not C.NETNS_RE.match(netns):
            raise ValueError(f"{netns!r} is not a valid network namespace name")
        self.device = device or socket.gethostname()
        self.netns = netns
        self.timeout = timeout
        self.round_trips = 0
        self.use_sudo = os.geteuid() != 0
        self.link_waiter = Pyroute2LinkWaiter(netns)

    # ---- HostShell ------------------------------------------------------------------------------

    def batch(self, commands: Batch, *, timeout: float = 120.0) -> dict[str, Section]:
        self.round_trips += 1
        return {key: self.execute(cmd, timeout=timeout) for key, cmd in commands}

    def execute(self, cmd: C.Cmd, *, timeout: float | None = None) -> Section:
        argv = list(cmd.argv)
        for pattern in cmd.globs:  # what the shell would do: expand, or pass the pattern through unmatched
            argv += sorted(globmod.glob(pattern)) or [pattern]
        if cmd.sudo and self.use_sudo:
            argv = ["sudo", "-n", *argv]  # a local run never prompts for a password
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns, *argv]
        stdin = None if cmd.stdin is None else cmd.stdin + ("\n" if cmd.stdin_newline else "")
        return self._exec(argv, stdin, timeout or self.timeout)

    def _exec(self, argv: list[str], stdin: str | None, timeout: float) -> Section:
        try:
            proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
        except FileNotFoundError:
            return Section(f"{argv[0]}: command not found\n", 127)
        except subprocess.TimeoutExpired:
            return Section(f"{shlex.join(argv)}: timed out after {timeout:.0f}s\n", 124)
        return Section(proc.stdout + proc.stderr, proc.returncode)

    # ---- pyroute2 -------------------------------------------------------------------------------

    def set_mtu(self, ifname: str, mtu: int) -> str | None:
        """Set the MTU with pyroute2; None on success, else an error message."""
        C.check_ifname(ifname)
        C.check_int(mtu, 68, 65535, "mtu")
        try:
            with _iproute(self.netns) as ipr:
                found = ipr.link_lookup(ifname=ifname)
                if not found:
                    return f"{ifname} does not exist"
                ipr.link("set", index=found[0], mtu=mtu)
        except NetlinkError as exc:
            reason = exc.args[1] if len(exc.args) > 1 else exc
            return f"setting MTU {mtu} on {ifname} failed: {reason} (errno {exc.code})"
        except OSError as exc:
            return f"setting MTU {mtu} on {ifname} failed: {exc.strerror or exc}"
        return None

    # ---- CommandRunner --------------------------------------------------------------------------

    def run(self, command: str, *, timeout: float = 60.0) -> RunResult:
        """A single command line split into arguments; shell syntax is refused, never interpreted."""
        self.round_trips += 1
        argv = shlex.split(command)
        if not argv or _has_shell_syntax(command):
            return RunResult(output="", exit_code=2, stderr="LocalRunner runs one command without a shell\n")
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns, *argv]
        sec = self._exec(argv, None, timeout)
        return RunResult(output=sec.output, exit_code=sec.rc)

    def upload(self, path: str, data: bytes) -> None:
        Path(path).write_bytes(data)
