"""The host twin's shell: batching with echo markers, quoting, redirections, sudo, globs, errors."""

from __future__ import annotations

import json

from rocelab.host import HostTwin
from rocelab.twin import TwinNic


def twin() -> HostTwin:
    return HostTwin("host1", [TwinNic()], clock=lambda: 0.0)


def sections(stdout: str) -> dict[str, str]:
    """Split `===NAME===` marker output like a gathering agent does."""
    found: dict[str, str] = {}
    name = None
    for line in stdout.splitlines(keepends=True):
        if line.startswith("===") and line.rstrip().endswith("==="):
            name = line.strip("=\n")
            found[name] = ""
        elif name is not None:
            found[name] += line
    return found


def test_one_round_trip_batch_with_markers() -> None:
    host = twin()
    line = (
        "echo ===pfc===; dcb -j -s pfc show dev eth1; echo ===ets===; dcb -j ets show dev eth1; "
        "echo ===app===; dcb -j app show dev eth1; echo ===link===; ip -j link show dev eth1; "
        "echo ===rdma===; rdma -j link show; echo ===tos===; cat /proc/sys/net/ipv4/tcp_ecn; "
        "echo ===missing===; dcb -j pfc show dev eth9 2>&1; echo ===end==="
    )
    result = host.run(line, sudo=False)
    parts = sections(result.stdout)
    assert list(parts) == ["pfc", "ets", "app", "link", "rdma", "tos", "missing", "end"]
    assert json.loads(parts["pfc"])["pfc_cap"] == 8
    assert json.loads(parts["ets"])["prio_tc"] == [1, 0, 2, 3, 4, 5, 6, 7]
    assert json.loads(parts["link"])[0]["ifname"] == "eth1"
    assert json.loads(parts["rdma"])[0]["state"] == "ACTIVE"
    assert parts["tos"] == "2\n"
    assert parts["missing"] == "Attribute read: No such device\n\n"  # error first, then the JSON newline
    assert result.stderr == ""


def test_exit_status_marker_like_the_hosts_adapter() -> None:
    result = twin().run("echo '@@b'; dcb -j pfc show dev eth9 2>&1; echo \"@@e:$?\"", sudo=False)
    assert result.stdout.endswith("@@e:1\n")
    assert twin().run("false; echo \"rc=$?\" 'literal $?'", sudo=False).stdout == "rc=1 literal $?\n"


def test_lists_short_circuit_and_last_status_wins() -> None:
    host = twin()
    assert host.run("false && echo no || echo yes", sudo=False).stdout == "yes\n"
    result = host.run("true; nosuchtool --x", sudo=False)
    assert (result.exit_code, result.stderr) == (127, "-bash: nosuchtool: command not found\n")


def test_quotes_keep_operators_literal() -> None:
    assert twin().run("echo 'a;b' \"c && d\" e\\|f", sudo=False).stdout == "a;b c && d e|f\n"
    broken = twin().run("echo 'unterminated", sudo=False)
    assert broken.exit_code == 2
    assert "unexpected EOF" in broken.stderr


def test_sysfs_write_idioms_and_permissions() -> None:
    host = twin()
    path = "/sys/class/net/eth1/ecn/roce_np/enable/3"
    denied = host.run(f"echo 0 | tee {path}", sudo=False)
    assert (denied.stdout, denied.stderr, denied.exit_code) == ("0\n", f"tee: {path}: Permission denied\n", 1)
    redirected = host.run(f"sudo echo 0 > {path}", sudo=False)  # the redirection is the user's shell
    assert (redirected.stderr, redirected.exit_code) == (f"-bash: {path}: Permission denied\n", 1)
    assert host.run(f"cat {path}", sudo=False).stdout == "1\n"
    assert host.run(f"echo 0 | sudo tee {path} > /dev/null", sudo=False).stdout == ""
    assert host.run(f"cat {path}", sudo=False).stdout == "0\n"
    assert host.run(f"sudo sh -c 'echo 1 > {path}'", sudo=False).exit_code == 0
    assert host.run(f"cat {path}", sudo=False).stdout == "1\n"
    invalid = host.run(f"echo 7 > {path}", sudo=True)
    assert (invalid.stderr, invalid.exit_code) == ("-bash: echo: write error: Invalid argument\n", 1)


def test_globs_and_grep_labels() -> None:
    host = twin()
    result = host.run("grep -H . /sys/class/net/eth1/ecn/roce_np/enable/*", sudo=False)
    lines = result.stdout.splitlines()
    assert lines[0] == "/sys/class/net/eth1/ecn/roce_np/enable/0:1"
    assert len(lines) == 8
    missing = host.run("grep -H -c '' /sys/kernel/config/rdma_cm/*/ports/*/default_roce_tos", sudo=False)
    assert missing.exit_code == 2
    assert "No such file or directory" in missing.stderr
    host.run("mkdir -p /sys/kernel/config/rdma_cm/mlx5_0", sudo=True)
    found = host.run("grep -H -c '' /sys/kernel/config/rdma_cm/*/ports/*/default_roce_tos", sudo=False)
    assert found.stdout == "/sys/kernel/config/rdma_cm/mlx5_0/ports/1/default_roce_tos:1\n"
    empty = host.run("grep -H -c '' /sys/class/infiniband/*/tc/*/traffic_class", sudo=False)
    assert (empty.stdout, empty.exit_code) == ("/sys/class/infiniband/mlx5_0/tc/1/traffic_class:0\n", 1)


def test_system_identity_commands() -> None:
    host = twin()
    assert host.run("uname -r", sudo=False).stdout == "6.1.0-28-amd64\n"
    assert "VERSION_CODENAME=bookworm" in host.run("cat /etc/os-release", sudo=False).stdout
    assert host.run("hostname", sudo=False).stdout == "host1\n"
    assert host.run("command -v dcb", sudo=False).stdout == "/usr/sbin/dcb\n"
    assert host.run("pgrep lldpad", sudo=False).exit_code == 1
