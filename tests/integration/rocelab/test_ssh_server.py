"""A twin served over real SSH: Netmiko `linux` unmodified, exec, SFTP/SCP, logins, host keys, faults."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncssh
import paramiko
import pytest
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

from rocelab.ssh import LabCredentials, TwinEndpoint, serve_twin
from tests.integration.rocelab.conftest import PASSWORD, ServedTwin
from tests.integration.rocelab.echo_twin import EchoTwin

pytestmark = pytest.mark.integration


def _paramiko(served: ServedTwin, **kwargs: object) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.load_host_keys(str(served.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect("127.0.0.1", served.port, "admin", key_filename=str(served.key_file), allow_agent=False,
                   look_for_keys=False, timeout=10, **kwargs)  # type: ignore[arg-type]  # fmt: skip
    return client


def test_netmiko_linux_key_login_runs_commands(served: ServedTwin) -> None:
    conn = served.netmiko()
    try:
        assert conn.find_prompt() == "admin@t1:~$"
        assert conn.send_command("hostname") == "t1"
        assert conn.send_command("sudo whoami") == "root"
        assert conn.send_command("sudo show 'PORT|Ethernet0' && exit-with 3") == (
            "ran: sudo show 'PORT|Ethernet0' && exit-with 3"  # a list reaches the twin whole, sudo inside
        )
    finally:
        conn.disconnect()
    assert served.twin.commands == [
        ("hostname", False),
        ("whoami", True),
        ("sudo show 'PORT|Ethernet0' && exit-with 3", False),
    ]


def test_netmiko_enable_and_config_set_run_in_a_root_shell(served: ServedTwin) -> None:
    conn = served.netmiko()
    try:
        conn.send_config_set(["config save -y", "whoami"])
        assert conn.find_prompt() == "admin@t1:~$"  # config mode left again
        conn.enable()
        assert conn.check_enable_mode()
        assert conn.send_command("whoami") == "root"
        conn.exit_enable_mode()
        assert conn.send_command("whoami") == "admin"
    finally:
        conn.disconnect()
    assert ("config save -y", True) in served.twin.commands


def test_password_login_works_and_a_wrong_password_is_refused(served: ServedTwin) -> None:
    conn = served.netmiko(use_keys=False, key_file=None, password=PASSWORD)
    assert conn.send_command("hostname") == "t1"
    conn.disconnect()
    with pytest.raises(NetmikoAuthenticationException):
        served.netmiko(use_keys=False, key_file=None, password=PASSWORD + "x")
    with pytest.raises(NetmikoAuthenticationException):
        served.netmiko(username="root", use_keys=False, key_file=None, password=PASSWORD)


def test_a_key_that_is_not_the_labs_is_refused(served: ServedTwin, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger"
    stranger.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    stranger.chmod(0o600)
    with pytest.raises(NetmikoAuthenticationException):
        served.netmiko(key_file=str(stranger))


@pytest.mark.parametrize("pinned", ["other key", "nothing"])
def test_netmiko_strict_refuses_an_unpinned_host_key(served: ServedTwin, pinned: str) -> None:
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    served.known_hosts.write_text(f"[127.0.0.1]:{served.port} {other}" if pinned == "other key" else "")
    with pytest.raises(NetmikoTimeoutException) as info:
        served.netmiko()
    assert isinstance(info.value.__context__, paramiko.SSHException)
    assert served.twin.commands == []


def test_exec_request_returns_stdout_stderr_and_exit_status(served: ServedTwin) -> None:
    client = _paramiko(served)
    try:
        _, out, err = client.exec_command("exit-with 4")
        assert out.channel.recv_exit_status() == 4
        assert out.read() == b""
        assert err.read() == b"exiting 4\n"
        _, out, _ = client.exec_command("sudo -n whoami")
        assert out.read() == b"root\n"
        assert out.channel.recv_exit_status() == 0
    finally:
        client.close()


def test_disconnect_fault_delivers_output_then_drops(served: ServedTwin) -> None:
    client = _paramiko(served)
    try:
        _, out, _ = client.exec_command("drop")
        assert out.read() == b"dropping\n"
        assert out.channel.recv_exit_status() == -1  # no exit status: the session was dropped
        deadline = time.monotonic() + 5
        while client.get_transport().is_active() and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.05)
        assert not client.get_transport().is_active()  # type: ignore[union-attr]
    finally:
        client.close()


def test_command_delay_is_waited(served: ServedTwin) -> None:
    client = _paramiko(served)
    try:
        started = time.monotonic()
        _, out, _ = client.exec_command("slow 0.3")
        assert out.read() == b"slow done\n"
        assert time.monotonic() - started >= 0.3
    finally:
        client.close()


def test_stty_minus_echo_switches_terminal_echo_off(served: ServedTwin) -> None:
    client = _paramiko(served)
    chan = client.invoke_shell(term="vt100")
    try:
        assert _read_until(chan, b"$ ").endswith(b"admin@t1:~$ ")
        chan.send(b"stty -echo\n")
        _read_until(chan, b"$ ")
        chan.send(b"hostname\n")
        reply = _read_until(chan, b"$ ")
        assert b"hostname" not in reply  # the command is no longer echoed (asyncssh still ends the line)
        assert reply.endswith(b"t1\r\nadmin@t1:~$ ")
        chan.send(b"exit\n")
        assert chan.recv_exit_status() == 0
    finally:
        client.close()


def _read_until(chan: paramiko.Channel, marker: bytes, timeout: float = 10.0) -> bytes:
    data, deadline = b"", time.monotonic() + timeout
    chan.settimeout(timeout)
    while not data.endswith(marker) and time.monotonic() < deadline:
        data += chan.recv(4096)
    return data


def test_sftp_upload_and_download_map_to_twin_files(served: ServedTwin, tmp_path: Path) -> None:
    patch = tmp_path / "patch.json"
    patch.write_bytes(b'[{"op": "add", "path": "/PORT/Ethernet0/mtu", "value": "9100"}]\n')
    client = _paramiko(served)
    try:
        sftp = client.open_sftp()
        sftp.put(str(patch), "/tmp/patch.json")
        sftp.put(str(patch), "relative.json")  # relative to admin's home
        assert served.twin.files["/tmp/patch.json"] == patch.read_bytes()
        assert served.twin.files["/home/admin/relative.json"] == patch.read_bytes()
        served.twin.files["/etc/sonic/config_db.json"] = b"{}\n"
        sftp.get("/etc/sonic/config_db.json", str(tmp_path / "config_db.json"))
        assert (tmp_path / "config_db.json").read_bytes() == b"{}\n"
        with pytest.raises(FileNotFoundError):
            sftp.stat("/etc/hostname")  # exists on this machine: the lab must never serve local files
        with pytest.raises(OSError, match="not supported"):
            sftp.remove("/tmp/patch.json")
    finally:
        client.close()
    _, out, _ = _paramiko(served).exec_command("cat /tmp/patch.json")
    assert out.read() == patch.read_bytes()


def test_scp_upload_and_download(served: ServedTwin, tmp_path: Path) -> None:
    src = tmp_path / "cfg.json"
    src.write_bytes(b'{"DEVICE_METADATA": {}}\n')

    async def copy() -> None:
        known = asyncssh.import_known_hosts(served.known_hosts.read_text())
        key = asyncssh.read_private_key(served.key_file)
        async with asyncssh.connect("127.0.0.1", served.port, username="admin", client_keys=[key],
                                    known_hosts=known) as conn:  # fmt: skip
            await asyncssh.scp(str(src), (conn, "/tmp/"))
            await asyncssh.scp((conn, "/tmp/cfg.json"), str(tmp_path / "back.json"))

    asyncio.run(copy())
    assert served.twin.files["/tmp/cfg.json"] == src.read_bytes()
    assert (tmp_path / "back.json").read_bytes() == src.read_bytes()


def test_ctrl_c_at_the_prompt_gives_a_fresh_prompt(served: ServedTwin) -> None:
    client = _paramiko(served)
    chan = client.invoke_shell(term="vt100")
    try:
        _read_until(chan, b"$ ")
        chan.send(b"\x03")
        assert _read_until(chan, b"$ ").endswith(b"^C\r\nadmin@t1:~$ ")
        chan.send(b"logout\n")
        assert chan.recv_exit_status() == 0
    finally:
        client.close()


@pytest.mark.parametrize("words", [120, 1500])
def test_long_command_lines_round_trip_through_netmiko(served: ServedTwin, words: int) -> None:
    # longer than the pty width (511) and than asyncssh's default line limit (1024): batched gathers are
    command = "show " + " ".join(f"arg{i}" for i in range(words))
    conn = served.netmiko()
    try:
        assert conn.send_command(command, read_timeout=30) == f"ran: {command}"
    finally:
        conn.disconnect()
    assert served.twin.commands == [(command, False)]


def test_a_twin_that_cannot_be_built_fails_the_session_cleanly(tmp_path: Path) -> None:
    def broken() -> EchoTwin:
        raise ValueError("iproute2_flavour must be one of 6.1, 6.8")

    async def attempt() -> tuple[int | None, str]:
        host_key = asyncssh.generate_private_key("ssh-ed25519")
        creds = LabCredentials(password=PASSWORD)
        acceptor = await serve_twin(TwinEndpoint("bad", 0, broken, host_key), creds)
        try:
            known = asyncssh.import_known_hosts(
                f"[127.0.0.1]:{acceptor.get_port()} {host_key.export_public_key().decode()}"
            )
            async with asyncssh.connect("127.0.0.1", acceptor.get_port(), username="admin", password=PASSWORD,
                                        known_hosts=known, client_keys=None) as conn:  # fmt: skip
                result = await asyncio.wait_for(conn.run("hostname"), timeout=10)
                return result.exit_status, str(result.stderr)
        finally:
            acceptor.close()

    status, stderr = asyncio.run(attempt())
    assert status == 1
    assert "twin bad could not be built: iproute2_flavour" in stderr
