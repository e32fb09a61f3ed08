"""NetmikoRunner: a CommandRunner over a Netmiko `linux` SSH connection (SONiC switches and Linux hosts).

Netmiko opens and authenticates the session (device type `linux`, host keys verified against the
inventory's known_hosts) but opens no interactive shell (`establish_exec_only`): no pty session, no
prompt discovery, no shell logout at disconnect, because nothing here talks to a shell. Commands run
as SSH `exec` requests on the same transport: the exit status is the SSH protocol's own `exit-status`
message (it cannot be faked by output or lost in a prompt), there is no echo or prompt to strip, and
batched command lines have no terminal line-length limit. stdout and stderr are merged in the order
the device wrote them, as a terminal shows them. Files go over SFTP on the same transport. Transport
errors become DeviceError subclasses that name the device and say what to do; a drop mid-command is
SessionLost.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import paramiko
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

from agent.errors import DeviceError, SessionLost
from agent.platforms.base import LineSink, RunResult
from agent.transports.hostkeys import (
    device_pin_view,
    is_device_pin,
    pinned_keys_file,
    report_system_conflicts,
)


@dataclass(frozen=True)
class SshTarget:
    """Where and how to connect; `password` is held in memory only and never printed (repr=False)."""

    device: str
    host: str
    port: int = 22
    username: str = "admin"
    password: str | None = field(default=None, repr=False)
    known_hosts: str | None = None  # an OpenSSH known_hosts file pinning the device's key
    verify_host_key: bool = True
    timeout: float = 30.0
    key_file: str | None = None  # private key for key-based login (the lab's default)
    system_host_keys: bool = True  # ~/.ssh/known_hosts, only for a device the inventory pins no key for


def connect_kwargs(target: SshTarget) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "device_type": "linux",
        "host": target.host,
        "port": target.port,
        "username": target.username,
        "password": target.password or "",
        "ssh_strict": target.verify_host_key,
        # ~/.ssh/known_hosts never overrides the inventory's pin (a conflicting line there is reported)
        "system_host_keys": target.verify_host_key and target.system_host_keys and not target.known_hosts,
        "conn_timeout": target.timeout,
        "auth_timeout": target.timeout,
        "banner_timeout": target.timeout,
        "allow_agent": False,
        "use_keys": bool(target.key_file),
    }
    if target.key_file:
        kwargs["key_file"] = target.key_file
    if target.known_hosts and target.verify_host_key:
        kwargs.update({"alt_host_keys": True, "alt_key_file": pin_view(target)})
    return kwargs


def pin_view(target: SshTarget) -> str:
    """The known_hosts paramiko gets: a device's own pin file names the device's keys whatever address
    is contacted (identity); an inventory-wide file only the lines that can match host:port (paramiko's
    load of a whole N-device file is quadratic, see hostkeys)."""
    assert target.known_hosts is not None
    if is_device_pin(target.known_hosts, target.device):
        with contextlib.suppress(OSError):  # unreadable: paramiko reports the file itself
            return device_pin_view(target.known_hosts, target.host, target.port)
    return pinned_keys_file(target.known_hosts, target.host, target.port)


def open_netmiko(target: SshTarget) -> Any:
    """An authenticated Netmiko connection with errors a person can act on (the password never appears)."""
    where = f"{target.host}:{target.port}"
    kwargs = connect_kwargs(target)
    if kwargs.get("alt_key_file"):
        report_system_conflicts(target.device, target.host, target.port, kwargs["alt_key_file"])
    conn = ConnectHandler(**kwargs, auto_connect=False)
    try:
        establish_exec_only(conn)
        return conn
    except NetmikoAuthenticationException:
        _close_session(conn)
        raise DeviceError(
            target.device,
            "login",
            f"authentication failed for user {target.username!r} at {where}; "
            "check the key or password ($ROCE_AGENT_PASSWORD or the host's password_env)",
        ) from None
    except (paramiko.SSHException, OSError) as exc:
        _close_session(conn)
        raise connect_error(target, where, exc) from None
    except EOFError:  # paramiko's bare EOFError: the server sent its banner, then closed the connection
        _close_session(conn)
        raise DeviceError(
            target.device,
            "connect",
            f"{where} closed the SSH connection during the handshake (after its banner): "
            "is that address:port this device's sshd, and is it healthy?",
        ) from None


# paramiko's transport thread wakes every `_active_check_timeout` (0.1 s) to see whether it was closed:
# ten Python loop turns a second per idle session. `roce-agent monitor` keeps hundreds open between
# polls (512 sessions: about 0.07 s of CPU per idle second); once a second is plenty for what the
# wake-up does (keepalive, closed check). Closing does not wait for it: paramiko's stop_thread returns
# as soon as the packetizer is closed.
IDLE_WAKEUP_S = 1.0


# paramiko's Transport remembers the id of every channel it ever opened (`channels_seen`, so a late
# message for a closed channel is ignored rather than fatal) and never forgets one: one exec channel per
# command on a session kept open for months (`roce-agent monitor`) grows it by ~60 bytes per command,
# for ever (512 devices every 10 s: ~250 MB a day). The most recent ones are kept; a message for a
# channel closed that long ago cannot come (both sides have sent CHANNEL_CLOSE, RFC 4254 5.3).
DEAD_CHANNELS_KEPT = 32


def forget_dead_channels(transport: paramiko.Transport) -> None:
    """Drop all but the latest `DEAD_CHANNELS_KEPT` ids of channels that are closed (open ones stay)."""
    seen: dict[int, bool] = transport.channels_seen
    if len(seen) <= 2 * DEAD_CHANNELS_KEPT:
        return
    with transport.lock:
        dead = [cid for cid in seen if transport._channels.get(cid) is None]
        for cid in dead[:-DEAD_CHANNELS_KEPT]:
            del seen[cid]


def establish_exec_only(conn: Any) -> None:
    """Netmiko's `establish_connection()` for SSH, without its `invoke_shell()` and session preparation.

    The paramiko client is Netmiko's (`_build_ssh_client`: system and pinned known_hosts, RejectPolicy
    under ssh_strict) connected with Netmiko's parameters (`_connect_params_dict`: keys, timeouts,
    disabled algorithms, ssh_config proxy), and a failure becomes the Netmiko exception
    `establish_connection` raises for it, so host-key verification and the error mapping are Netmiko's.
    The interactive shell is left out because this runner only runs `exec` requests: preparing it costs
    ~200 ms of sleeps and ~4.5 ms CPU here, and its pty session costs the device a line editor (a third
    of the lab's CPU in an audit) for a channel nobody reads.
    """
    client = conn._build_ssh_client()
    conn.remote_conn_pre = client
    try:
        client.connect(**conn._connect_params_dict())
    except OSError as exc:  # socket.error: refused, unreachable, DNS, TCP timeout
        conn.paramiko_cleanup()
        raise NetmikoTimeoutException(f"TCP connection to device failed: {exc}") from exc
    except paramiko.AuthenticationException as exc:
        conn.paramiko_cleanup()
        raise NetmikoAuthenticationException(f"Authentication to device failed: {exc}") from exc
    except paramiko.SSHException as exc:  # host key not in known_hosts, negotiation failure, no session
        conn.paramiko_cleanup()
        raise NetmikoTimeoutException(f"SSH connection failed: {exc}") from exc
    transport = client.get_transport()
    if transport is not None:  # see IDLE_WAKEUP_S
        transport.sock.settimeout(IDLE_WAKEUP_S)


def _close_session(conn: Any) -> None:
    """Close the transport, then let Netmiko release its log filter and session log. There is no shell,
    so `disconnect()`'s shell logout fails at once without touching the device (it swallows that by design)."""
    with contextlib.suppress(Exception):  # closing a broken session must never mask the real error
        conn.paramiko_cleanup()
    with contextlib.suppress(Exception):
        conn.disconnect()


def connect_error(target: SshTarget, where: str, exc: Exception) -> DeviceError:
    """Netmiko wraps host-key refusals in NetmikoTimeoutException: classify by the message first."""
    text = str(exc)
    if "does not match" in text:  # paramiko BadHostKeyException: a key, but not the pinned one
        return DeviceError(
            target.device,
            "verify host key",
            f"{where} answered with a host key that is not {target.device}'s pinned key ({target.known_hosts}): "
            "another device answers at this address (is the inventory entry right?), or the device was "
            "reinstalled (verify its new key out of band); nothing was sent to it",
        )
    if "known_hosts" in text:
        return DeviceError(
            target.device,
            "verify host key",
            f"{where} presented a host key that is not pinned (add it to the inventory's known_hosts, "
            "or pass --insecure-skip-host-key-check for a throwaway lab)",
        )
    if isinstance(exc, (NetmikoTimeoutException, TimeoutError, ConnectionError)):
        return DeviceError(target.device, "connect", f"{where} unreachable ({_first_line(text) or 'timed out'})")
    return DeviceError(target.device, "connect", f"{where}: SSH error: {_last_line(text)}")


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0] if lines else ""


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


class NetmikoRunner:
    """One SSH session; `round_trips` counts `run` calls, `uploads` counts SFTP writes."""

    def __init__(self, device: str, connection: Any, target: SshTarget | None = None) -> None:
        self.device = device
        self.connection = connection
        self.target = target
        self.round_trips = 0
        self.uploads = 0
        self._sftp: paramiko.SFTPClient | None = None

    @classmethod
    def connect(cls, target: SshTarget) -> NetmikoRunner:
        return cls(target.device, open_netmiko(target), target)

    def reconnect(self) -> NetmikoRunner:
        """A fresh session to the same target (used to roll back after a drop)."""
        if self.target is None:
            raise DeviceError(self.device, "reconnect", "no connection parameters to reconnect with")
        self.close()
        self.connection = open_netmiko(self.target)
        return self

    def run(self, command: str, *, timeout: float = 60.0) -> RunResult:
        """One SSH `exec` request on the session's transport: no prompt, no echo, no line-length limit,
        and the exit status is the protocol's own `exit-status` message (stderr merged in order)."""
        return self._exec(command, timeout, None)

    def run_streaming(self, command: str, on_line: LineSink, *, timeout: float = 60.0) -> RunResult:
        """`run`, handing every complete output line to `on_line` as it arrives (GCU's progress); the
        timeout is per read, so a long command that keeps printing is not cut off."""
        return self._exec(command, timeout, on_line)

    def _exec(self, command: str, timeout: float, on_line: LineSink | None) -> RunResult:
        self.round_trips += 1
        try:
            transport = self.connection.remote_conn_pre.get_transport()
            if transport is None or not transport.is_active():
                raise OSError("transport is closed")
            chan = transport.open_session(timeout=timeout)
            with chan:
                chan.set_combine_stderr(True)
                chan.settimeout(timeout)
                chan.exec_command(command)
                output = _read_all(chan, on_line)
                if not chan.status_event.wait(timeout):
                    raise TimeoutError("no exit status")
                code = chan.recv_exit_status()
            forget_dead_channels(transport)
        except TimeoutError:
            self._drop()
            raise SessionLost(self.device, _short(command), f"no answer within {timeout:.0f}s") from None
        except (OSError, EOFError, paramiko.SSHException, AttributeError) as exc:
            self._drop()
            raise SessionLost(self.device, _short(command), f"session lost ({exc or type(exc).__name__})") from None
        if code < 0:  # the channel closed without an exit status: the session dropped mid-command
            self._drop()
            raise SessionLost(self.device, _short(command), "session closed before the command finished")
        return RunResult(output=output, exit_code=code)

    def upload(self, path: str, data: bytes) -> None:
        """Write a file over SFTP; one SFTP channel is kept open for the session (fewer round trips)."""
        try:
            if self._sftp is None:
                transport = self.connection.remote_conn_pre.get_transport()
                self._sftp = paramiko.SFTPClient.from_transport(transport)
                if self._sftp is None:
                    raise OSError("SFTP subsystem refused")
            with self._sftp.open(path, "wb") as fh:
                fh.write(data)
        except (OSError, EOFError, paramiko.SSHException, AttributeError) as exc:
            self._drop()
            raise SessionLost(self.device, f"upload {path}", f"SFTP failed ({exc or type(exc).__name__})") from None
        self.uploads += 1

    def close(self) -> None:
        self._drop()

    def _drop(self) -> None:
        conn, self.connection = self.connection, _Closed()
        sftp, self._sftp = self._sftp, None
        with contextlib.suppress(Exception):  # closing a broken session must never mask the real error
            if sftp is not None:
                sftp.close()
        _close_session(conn)


class _Closed:
    """Stands in for a dropped session: every use raises OSError, so callers see SessionLost."""

    def send_command(self, *_a: Any, **_k: Any) -> str:
        raise OSError("session is closed")

    def disconnect(self) -> None:
        return None

    def paramiko_cleanup(self) -> None:
        return None

    @property
    def remote_conn_pre(self) -> Any:
        raise OSError("session is closed")


def _read_all(chan: paramiko.Channel, on_line: LineSink | None = None) -> str:
    chunks: list[bytes] = []
    pending = b""  # bytes of a line not yet complete (a UTF-8 character may be split across reads too)
    while True:
        data = chan.recv(65536)
        if not data:
            if on_line is not None and pending:
                on_line(pending.decode("utf-8", errors="replace"))
            return b"".join(chunks).decode("utf-8", errors="replace")
        chunks.append(data)
        if on_line is not None:
            *lines, pending = (pending + data).split(b"\n")
            for line in lines:
                on_line(line.decode("utf-8", errors="replace").rstrip("\r"))


def _short(command: str) -> str:
    return command if len(command) <= 60 else command[:57] + "..."
