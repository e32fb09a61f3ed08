"""`rm` and `mkdir -p /var/tmp/...` on the host twin: what the agent's on-host snapshots need."""

from __future__ import annotations

from pathlib import Path

from rocelab.host import HostTwin
from rocelab.twin import TwinNic

SNAP = "/var/tmp/roce-agent/snap.json"


def test_var_tmp_is_writable_without_root_and_rm_removes_plain_files(tmp_path: Path) -> None:
    host = HostTwin("host1", [TwinNic()], state_dir=tmp_path, clock=lambda: 0.0)
    assert host.run("mkdir -p /var/tmp/roce-agent", sudo=False).exit_code == 0
    assert host.run("mkdir -p /var/lib/roce-agent", sudo=False).exit_code == 1  # root-owned elsewhere
    host.write_file(SNAP, b"{}")
    assert host.run(f"rm -f {SNAP}", sudo=False).exit_code == 0
    gone = host.run(f"cat {SNAP}", sudo=False)
    assert gone.stderr == f"cat: {SNAP}: No such file or directory\n"
    reloaded = HostTwin("host1", [TwinNic()], state_dir=tmp_path, clock=lambda: 0.0)
    assert reloaded.user_file(SNAP) is None  # the removal was persisted


def test_rm_reports_missing_files_unless_forced_and_refuses_sysfs() -> None:
    host = HostTwin("host1", [TwinNic()], clock=lambda: 0.0)
    missing = host.run("rm /var/tmp/nothing", sudo=False)
    assert missing.exit_code == 1
    assert missing.stderr == "rm: cannot remove '/var/tmp/nothing': No such file or directory\n"
    assert host.run("rm -f /var/tmp/nothing", sudo=False).exit_code == 0
    sysfs = host.run("rm -f /sys/class/net/eth1/mtu", sudo=False)
    assert (sysfs.exit_code, sysfs.stderr) == (1, "rm: cannot remove '/sys/class/net/eth1/mtu': Permission denied\n")
