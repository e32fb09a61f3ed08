"""Serve a twin over real SSH (asyncssh): login, interactive shell, exec requests, SFTP and SCP.

One listening port per twin, all on one event loop. Login is user `admin` with the lab password or
the lab's client key; nothing else. The shell semantics (prompt, sudo, lists, builtins) live in
`rocelab.shell`; this module only moves bytes, waits `delay_s`, switches echo and drops sessions
when a twin's CommandResult asks for it (fault injection).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import asyncssh

from rocelab.cost import NONE, CostModel, DeviceClock
from rocelab.sftp import TwinSFTPServer
from rocelab.shell import USER, ShellOutcome, TwinShell
from rocelab.twin import Twin

log = logging.getLogger(__name__)
MAX_LINE = 1 << 20  # asyncssh's default (1024) would cut batched command lines


@dataclass(frozen=True)
class LabCredentials:
    """What a lab accepts: the password and the authorized client public keys (OpenSSH public data)."""

    password: str
    client_keys: Sequence[asyncssh.SSHKey] = ()
    username: str = USER

    def password_ok(self, username: str, password: str) -> bool:
        return username == self.username and hmac.compare_digest(password.encode(), self.password.encode())

    def key_ok(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == self.username and any(key.public_data == k.public_data for k in self.client_keys)


class _LabSSHServer(asyncssh.SSHServer):
    """Authentication policy: password or public key for `admin`; always ask (never auth-less)."""

    def __init__(self, credentials: LabCredentials, connections: set[asyncssh.SSHServerConnection]) -> None:
        self._creds = credentials
        self._connections = connections
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self._conn)  # type: ignore[arg-type]

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return self._creds.password_ok(username, password)

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return self._creds.key_ok(username, key)


@dataclass
class TwinEndpoint:
    """One twin behind one port. `twin_of` may build the twin lazily on first use."""

    hostname: str
    port: int
    twin_of: Callable[[], Twin]
    host_key: asyncssh.SSHKey
    cost: CostModel = NONE
    clock: DeviceClock = field(default_factory=DeviceClock)
    connections: set[asyncssh.SSHServerConnection] = field(default_factory=set)
    made_dirs: set[str] = field(default_factory=set)

    @property
    def sessions(self) -> int:
        return len(self.connections)

    def close_sessions(self) -> None:
        """Drop every client (lab down): closing the listener alone would leave sessions running."""
        for conn in list(self.connections):
            conn.close()


async def serve_twin(
    endpoint: TwinEndpoint, credentials: LabCredentials, *, address: str = "127.0.0.1"
) -> asyncssh.SSHAcceptor:
    """Listen for SSH on address:endpoint.port and serve the endpoint's twin."""

    async def handle(process: asyncssh.SSHServerProcess[str]) -> None:
        try:
            twin = endpoint.twin_of()  # built on first use
        except Exception as exc:  # a twin that cannot be built must fail the session, not hang it
            log.exception("%s: twin could not be built", endpoint.hostname)
            process.stderr.write(f"lab: twin {endpoint.hostname} could not be built: {exc}\n")
            process.exit(1)
            return
        shell = TwinShell(twin, endpoint.hostname, endpoint.cost)
        try:
            if process.command is None:
                await _interactive(process, shell, endpoint)
            else:
                await _exec(process, shell, endpoint)
        except (asyncssh.Error, ConnectionError, BrokenPipeError) as exc:
            log.debug("%s: session ended: %s", endpoint.hostname, exc)

    return await asyncssh.create_server(
        lambda: _LabSSHServer(credentials, endpoint.connections),
        address,
        endpoint.port,
        server_host_keys=[endpoint.host_key],
        process_factory=handle,
        sftp_factory=lambda chan: TwinSFTPServer(chan, endpoint.twin_of, endpoint.made_dirs),
        allow_scp=True,
        max_line_length=MAX_LINE,
        agent_forwarding=False,
        x11_forwarding=False,
        allow_pty=True,
        reuse_address=True,
    )


async def _deliver(
    process: asyncssh.SSHServerProcess[str], outcome: ShellOutcome, endpoint: TwinEndpoint, *, pty: bool
) -> bool:
    """Wait the device time (queued behind the device's earlier commands) and any fault delay, write the
    output; on a disconnect fault drop the connection. True = dropped."""
    wait = endpoint.clock.reserve(asyncio.get_running_loop().time(), outcome.cost_s, serial=endpoint.cost.serial)
    text = outcome.terminal if pty else outcome.stdout
    early = await _paced(process, outcome, text, wait + outcome.delay_s)
    if pty:
        process.stdout.write(text[early:])
    else:
        process.stdout.write(text[early:])
        process.stderr.write(outcome.stderr)
    if not outcome.disconnect:
        return False
    # Close the channel first: asyncssh flushes its send buffer before CHANNEL_CLOSE, whereas closing the
    # connection alone aborts the transport and would lose the output the fault promised to deliver.
    process.channel.close()
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(process.channel.wait_closed(), timeout=2.0)
    process.get_extra_info("connection").close()
    return True


async def _paced(process: asyncssh.SSHServerProcess[str], outcome: ShellOutcome, text: str, total_s: float) -> int:
    """Sleep out the command's time, writing its paced pieces when they are due (a long command printing
    as it goes, like GCU's changes); returns how many characters of `text` were written."""
    loop = asyncio.get_running_loop()
    start, written = loop.time(), 0
    pieces = list(outcome.paced)
    if not text.startswith("".join(piece for _, piece in pieces)):
        pieces = []  # the output was redirected or filtered: nothing to pace
    for at_s, piece in pieces:
        delay = start + min(total_s, max(0.0, at_s)) - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        process.stdout.write(piece)
        written += len(piece)
    rest = start + total_s - loop.time()
    if rest > 0:
        await asyncio.sleep(rest)
    return written


async def _exec(process: asyncssh.SSHServerProcess[str], shell: TwinShell, endpoint: TwinEndpoint) -> None:
    outcome = shell.run_line(process.command or "")
    pty = process.get_terminal_type() is not None
    if not await _deliver(process, outcome, endpoint, pty=pty):
        process.exit(outcome.exit_code)


async def _interactive(process: asyncssh.SSHServerProcess[str], shell: TwinShell, endpoint: TwinEndpoint) -> None:
    process.stdout.write(shell.prompt())
    while True:
        try:
            line = await process.stdin.readline()
        except asyncssh.BreakReceived:  # Ctrl-C at the prompt: bash shows ^C and a fresh prompt
            process.stdout.write("^C\n" + shell.prompt())
            continue
        except (asyncssh.TerminalSizeChanged, asyncssh.SignalReceived):
            continue
        if not line:  # EOF (client closed its side or sent Ctrl-D on an empty line)
            process.exit(shell.last_status)
            return
        outcome = shell.run_line(line.rstrip("\r\n"))
        set_echo = getattr(process.channel, "set_echo", None)  # only a pty session has a line editor
        if outcome.echo is not None and set_echo is not None:
            set_echo(outcome.echo)
        if await _deliver(process, outcome, endpoint, pty=True):
            return
        if outcome.end_session:
            process.exit(outcome.exit_code)
            return
        process.stdout.write(shell.prompt())
