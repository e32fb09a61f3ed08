"""/etc/nccl.conf and the GID table on hosts: parse as NCCL does, render only the managed keys, plan,
apply and roll back on the in-process host twin (the SSH path is tests/integration/linux_rdma)."""

from __future__ import annotations

import shlex

import pytest
from host_fixtures import FakeClock, host_intent, raw_from, twin_host

from agent.platforms.base import ApplyOptions, ApplyStatus
from agent.platforms.linux_rdma import nccl as N
from agent.platforms.linux_rdma.adapter import HostAdapter
from agent.platforms.linux_rdma.apply import ApplySettings
from agent.platforms.linux_rdma.gather import native_from_raw
from agent.platforms.linux_rdma.normalize import normalize_host
from agent.platforms.linux_rdma.ops import NcclConf, load_operations
from agent.platforms.linux_rdma.plan import plan_nccl
from agent.policy.model import Policy
from agent.policy.nccl import nccl_int
from agent.state import GidState

NCCL = {"qps_per_connection": 4, "settings": {"NCCL_IB_HCA": "=mlx5_0"}}
SITE = (
    "# site defaults\nNCCL_DEBUG=WARN\nNCCL_IB_TC=0\nNCCL_SOCKET_IFNAME==eth0\nNCCL_IB_TC=5\n"
    "NCCL_IB_QPS_PER_CONNECTION = 2\n"
)


def _policy(**nccl: object) -> Policy:
    return Policy.model_validate({"baseline": "nvidia-roce", "nccl": {**NCCL, **nccl}})


def _adapter(clock: FakeClock) -> HostAdapter:
    return HostAdapter(ApplySettings(link_timeout_s=30.0, poll_interval_s=0.5, sleep=clock.sleep, clock=clock))


def test_parse_reads_the_file_the_way_nccl_does() -> None:
    conf = N.parse_conf(SITE)
    assert conf.settings == {"NCCL_DEBUG": "WARN", "NCCL_IB_TC": "0", "NCCL_SOCKET_IFNAME": "=eth0",
                             "NCCL_IB_QPS_PER_CONNECTION ": " 2"}  # fmt: skip
    assert conf.shadowed == {"NCCL_IB_TC": ["5"]}  # setenv(..., 0): the first line wins
    assert conf.malformed == ["NCCL_IB_QPS_PER_CONNECTION = 2"]  # a variable named "NCCL_IB_QPS_PER_CONNECTION "
    assert N.parse_conf(None).present is False


@pytest.mark.parametrize(
    ("text", "value"),
    [("106", 106), ("0x6a", 106), ("0152", 106), ("0106", 70), (" 106abc", 106), ("-1", -1), ("junk", 0), ("", None)],
)
def test_integers_go_through_strtoll_base_0(text: str, value: int | None) -> None:
    assert nccl_int(text) == value


def test_render_changes_only_the_managed_keys() -> None:
    new = N.render_conf(SITE, {"NCCL_IB_TC": "106", "NCCL_IB_GID_INDEX": "3", "NCCL_IB_QPS_PER_CONNECTION": "4"})
    assert new == (
        "# site defaults\nNCCL_DEBUG=WARN\nNCCL_IB_TC=106\nNCCL_SOCKET_IFNAME==eth0\n"
        "NCCL_IB_GID_INDEX=3\nNCCL_IB_QPS_PER_CONNECTION=4\n"
    )  # the shadowed NCCL_IB_TC=5 and the "KEY = v" line are gone, every other line kept in place
    assert N.render_conf(new, {"NCCL_IB_TC": "106"}) == new  # idempotent
    assert N.render_conf(None, {"NCCL_IB_TC": "106"}) == "NCCL_IB_TC=106\n"
    assert N.render_conf("NCCL_DEBUG=INFO", {"NCCL_IB_TC": "106"}) == "NCCL_DEBUG=INFO\nNCCL_IB_TC=106\n"


def test_gather_parses_the_real_shape_gid_table_and_an_absent_file() -> None:
    host = native_from_raw(raw_from("mlx5_default"))
    assert host.nccl_conf_read
    assert host.nccl_conf is None
    state = normalize_host(host)
    assert state.nccl is not None
    assert state.nccl.present is False
    nic = state.ports["eth1"].nic
    assert nic is not None
    assert nic.gids is not None
    assert [(g.index, g.type, g.family, g.link_local) for g in nic.gids] == [
        (0, "IB/RoCE v1", "ipv6", True),
        (1, "RoCE v2", "ipv6", True),
        (2, "IB/RoCE v1", "ipv4", False),
        (3, "RoCE v2", "ipv4", False),
    ]
    assert N.best_gid(nic.gids, "ipv4", "eth1").index == 3  # type: ignore[union-attr]
    assert N.best_gid(nic.gids, "ipv6", "eth1") is None  # only the link-local one


def test_plan_writes_one_whole_file_and_nothing_without_an_nccl_section() -> None:
    raw = raw_from("mlx5_default")
    plan = HostAdapter().plan(host_intent(_policy()), raw)
    [op] = [op for op in plan.operations if isinstance(op, NcclConf)]
    assert op.content == "NCCL_IB_TC=106\nNCCL_IB_GID_INDEX=3\nNCCL_IB_QPS_PER_CONNECTION=4\nNCCL_IB_HCA==mlx5_0\n"
    assert "/etc/nccl.conf (new file): NCCL_IB_TC <unset> -> 106" in op.summary
    plain = HostAdapter().plan(host_intent(Policy.model_validate({"baseline": "nvidia-roce"})), raw)
    assert not [o for o in plain.operations if isinstance(o, NcclConf)]


def _gid(index: int, kind: str = "RoCE v2", ndev: str = "eth1") -> GidState:
    return GidState(index=index, type=kind, gid=f"0000:0000:0000:0000:0000:ffff:0a00:00{index:02x}", ndev=ndev)


def test_auto_gid_index_needs_one_index_valid_on_every_port() -> None:
    same = {"eth1": [_gid(2, "IB/RoCE v1"), _gid(3)], "eth2": [_gid(3, ndev="eth2")]}
    assert N.auto_gid_index(same, "ipv4", None) == (3, "")
    differ = {"eth1": [_gid(3)], "eth2": [_gid(5, ndev="eth2")]}
    index, why = N.auto_gid_index(differ, "ipv4", None)
    assert index is None
    assert "eth1: 3, eth2: 5" in why
    keep = {"eth1": [_gid(3), _gid(5)]}
    assert N.auto_gid_index(keep, "ipv4", 5) == (5, "")  # a usable index the operator chose is kept
    assert N.auto_gid_index({"eth1": [_gid(2, "IB/RoCE v1")]}, "ipv4", None)[0] is None


def test_write_is_tmp_then_rename_and_the_content_is_quoted_not_interpreted() -> None:
    evil = "NCCL_X=$(reboot)\nNCCL_Y=`id`; rm -rf /\nNCCL_Z='q'\n"
    tee, mv = N.write_conf(evil)
    line = tee.shell(True)
    assert line == f"printf '%s' {shlex.quote(evil)} | sudo tee /etc/nccl.conf.roce-agent.tmp"
    assert shlex.split(line)[2] == evil  # one literal argument, byte for byte
    assert mv.argv == ("mv", "-f", "/etc/nccl.conf.roce-agent.tmp", "/etc/nccl.conf")
    assert [c.argv for c in N.write_conf(None)] == [("rm", "-f", "/etc/nccl.conf")]
    with pytest.raises(ValueError, match="without NUL"):
        N.write_conf("NCCL_A=1\x00\n")
    bad = [{"kind": "nccl_conf", "interface": "eth1", "summary": "x", "content": "NCCL_A=1"}]
    with pytest.raises(Exception, match="end with a newline"):
        load_operations("host1", bad)  # a plan file cannot smuggle a file the agent would not render


def test_twin_apply_creates_the_file_and_rollback_removes_it() -> None:
    twin, runner, clock = twin_host()
    adapter, intent = _adapter(clock), host_intent(_policy())
    plan = adapter.plan(intent, adapter.gather(runner, intent))
    outcome = adapter.apply(runner, intent, plan, ApplyOptions())
    assert outcome.status is ApplyStatus.applied, outcome.detail
    assert twin.read_file("/etc/nccl.conf") == (
        b"NCCL_IB_TC=106\nNCCL_IB_GID_INDEX=3\nNCCL_IB_QPS_PER_CONNECTION=4\nNCCL_IB_HCA==mlx5_0\n"
    )
    assert twin.read_file(N.NCCL_CONF_TMP) is None  # renamed over the file, not left beside it
    assert adapter.plan(intent, adapter.gather(runner, intent)).empty
    assert adapter.rollback(runner) is not None
    assert twin.read_file("/etc/nccl.conf") is None  # it did not exist before the apply


def test_twin_rollback_restores_an_existing_file_byte_for_byte() -> None:
    twin, runner, clock = twin_host()
    assert twin.run(f"printf '%s' {shlex.quote(SITE)} | tee /etc/nccl.conf", sudo=True).exit_code == 0
    adapter, intent = _adapter(clock), host_intent(_policy())
    plan = adapter.plan(intent, adapter.gather(runner, intent))
    assert adapter.apply(runner, intent, plan, ApplyOptions()).status is ApplyStatus.applied
    after = (twin.read_file("/etc/nccl.conf") or b"").decode()
    assert "NCCL_DEBUG=WARN\nNCCL_IB_TC=106\nNCCL_SOCKET_IFNAME==eth0\n" in after
    adapter.rollback(runner)
    assert twin.read_file("/etc/nccl.conf") == SITE.encode()


def test_a_failed_write_leaves_the_file_as_it_was() -> None:
    twin, runner, clock = twin_host()
    assert twin.run(f"printf '%s' {shlex.quote(SITE)} | tee /etc/nccl.conf", sudo=True).exit_code == 0
    adapter, intent = _adapter(clock), host_intent(_policy())
    plan = adapter.plan(intent, adapter.gather(runner, intent))
    twin.inject_fault("fail-command", {"pattern": "^mv -f /etc/nccl.conf"})
    outcome = adapter.apply(runner, intent, plan, ApplyOptions())
    assert outcome.status is ApplyStatus.rolled_back, outcome.detail
    assert "/etc/nccl.conf" in outcome.detail
    assert twin.read_file("/etc/nccl.conf") == SITE.encode()
    assert twin.read_file(N.NCCL_CONF_TMP) is None  # the rollback removed what the failed rename left


def test_twin_gid_files_have_the_sysfs_shape() -> None:
    twin, _runner, _clock = twin_host()
    base = "/sys/class/infiniband/mlx5_0/ports/1"
    assert twin.run(f"cat {base}/gid_attrs/types/3", sudo=False).stdout == "RoCE v2\n"
    assert twin.run(f"cat {base}/gid_attrs/types/0", sudo=False).stdout == "IB/RoCE v1\n"
    assert twin.run(f"cat {base}/gid_attrs/ndevs/3", sudo=False).stdout == "eth1\n"
    assert twin.run(f"cat {base}/gids/3", sudo=False).stdout.startswith("0000:0000:0000:0000:0000:ffff:")
    empty = twin.run(f"cat {base}/gid_attrs/types/9", sudo=False)
    assert (empty.exit_code, empty.stderr) == (1, f"cat: {base}/gid_attrs/types/9: Invalid argument\n")
    assert twin.run(f"cat {base}/gids/9", sudo=False).stdout == "0000:0000:0000:0000:0000:0000:0000:0000\n"
    assert len(twin.run(f"ls {base}/gids", sudo=False).stdout.split()) == 255


def test_a_netdev_that_lost_its_address_has_no_v2_gid_plan_warns_and_audit_names_it() -> None:
    from agent.checks.engine import run_checks
    from agent.topology.model import Topology

    twin, runner, clock = twin_host()
    adapter, intent = _adapter(clock), host_intent(_policy())
    assert adapter.apply(runner, intent, adapter.plan(intent, adapter.gather(runner, intent)), ApplyOptions())
    twin.inject_fault("drop-address", {"dev": "eth1"})  # e.g. netplan/DHCP lost it: ib_core drops GIDs 2/3
    state = adapter.normalize("host1", adapter.gather(runner, intent))
    nic = state.ports["eth1"].nic
    assert nic is not None
    assert [g.index for g in nic.gids or []] == [0, 1]
    findings = run_checks({"host1": intent}, {"host1": state}, Topology())
    [finding] = [f for f in findings if f.check_id == "HOST-NCCL-002"]
    assert finding.actual == "NCCL_IB_GID_INDEX 3: index 3 is an empty entry of the GID table"
    assert "none: no RoCE v2 ipv4 GID" in (finding.expected or "")
    plan = adapter.plan(intent, adapter.gather(runner, intent))
    assert plan.empty  # nothing to write: the index it would need does not exist
    assert any("NCCL_IB_GID_INDEX not written: no RoCE v2 ipv4 GID on eth1" in w for w in plan.warnings)
    twin.inject_fault("clear", {})
    back = adapter.normalize("host1", adapter.gather(runner, intent)).ports["eth1"].nic
    assert back is not None
    assert [g.index for g in back.gids or []] == [0, 1, 2, 3]


def test_a_file_too_big_for_one_command_line_is_not_planned_and_says_why() -> None:
    """The change line carries the file shlex-quoted (5 bytes per single quote) and the restore line the old
    one: a 22 KB file of quotes would make a line past Linux's 128 KiB argument limit, failing at apply."""
    host = native_from_raw(raw_from("mlx5_default"))
    intent = host_intent(_policy())
    host.nccl_conf, host.nccl_conf_read = "# it's a site file, don't touch\n" * 700, True
    ops, warnings = plan_nccl(intent, host)
    assert ops == []
    assert any("/etc/nccl.conf is 22" in w and "16384" in w and "not planned" in w for w in warnings), warnings
    host.nccl_conf = "# it's a site file, don't touch\n" * 100  # 3.2 KB: planned as before
    ops, _ = plan_nccl(intent, host)
    assert [type(op) for op in ops] == [NcclConf]
