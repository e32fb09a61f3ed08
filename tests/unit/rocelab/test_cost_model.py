"""The lab's device cost model: priced per tool invocation, queued per device (benchmarks/README.md, Cost model)."""

from __future__ import annotations

import json
import re

import pytest

from rocelab import cost
from rocelab.cost import ARM, X86, DeviceClock, cost_model, invocations, simple_commands, tool_words


def _files(**files: object) -> dict[str, bytes]:
    return {path: json.dumps(doc).encode() for path, doc in files.items()}


def test_python_clis_cost_a_second_on_x86_and_five_on_arm_db_clients_milliseconds() -> None:
    for line in ("show pfc counters", "pfcwd show config", "ecnconfig -l", "config qos reload"):
        assert X86.line_cost(line) == pytest.approx(1.0)
        assert ARM.line_cost(line) == pytest.approx(5.0)
    assert X86.line_cost("sonic-db-cli CONFIG_DB hgetall 'PORT|Ethernet0'") < 0.02
    assert X86.line_cost("redis-cli -n 4 keys '*'") < 0.01


def test_show_runningconfiguration_all_is_2_5x_sonic_cfggen_as_measured() -> None:
    show_all = X86.line_cost("show runningconfiguration all")
    assert show_all == pytest.approx(0.72)  # longest match wins over plain `show`
    assert show_all / X86.line_cost("sonic-cfggen -d --print-data") == pytest.approx(2.5, rel=0.02)


def test_a_line_is_charged_per_tool_it_runs_not_once() -> None:
    batch = "echo M1; show version; echo M2; show interfaces status; sonic-db-cli APPL_DB keys 'BUFFER_PG_TABLE:*'"
    assert X86.line_cost(batch) == pytest.approx(2.0 + 0.016)
    assert X86.line_cost("show version && pfcwd show stats || ecnconfig -l") == pytest.approx(3.0)
    assert X86.line_cost("show interfaces status | grep Ethernet0") == pytest.approx(1.0 + X86.other.base_s)


def test_quoted_operators_and_prefixes_do_not_change_the_tool() -> None:
    assert X86.line_cost("echo 'a; show version'") == 0.0  # the show is an argument of echo
    assert X86.line_cost("sudo -n LANG=C show version") == X86.line_cost("LANG=C sudo show version")
    assert tool_words("sudo -n A=1 /usr/local/bin/show version > /tmp/x") == ["/usr/local/bin/show", "version"]
    assert X86.line_cost("/usr/local/bin/show version") == pytest.approx(1.0)
    assert simple_commands("a 'b;c' | d && e; f") == ["a 'b;c'", "d", "e", "f"]


def test_apply_patch_pays_per_operation_of_the_patch_file_on_the_device() -> None:
    files = _files(
        **{"/tmp/p.json": [{"op": "add", "path": f"/PORT/Ethernet{i}/mtu", "value": "9100"} for i in range(3)]}
    )
    cost = X86.line_cost("sudo config apply-patch -v /tmp/p.json", read_file=files.get)
    assert cost == pytest.approx(4.0 + 3 * 0.8)
    assert X86.line_cost("config apply-patch /tmp/missing.json", read_file=files.get) == pytest.approx(4.0)
    assert ARM.line_cost("config apply-patch /tmp/p.json", read_file=files.get) == pytest.approx(5 * (4.0 + 3 * 0.8))


def test_db_reads_pay_for_the_data_they_print() -> None:
    small = X86.line_cost("redis-cli -n 2 EVAL 'return 1' 0", output_bytes=100)
    big = X86.line_cost("redis-cli -n 2 EVAL 'return 1' 0", output_bytes=4 * 1024 * 1024)
    assert big - small == pytest.approx(4 * 0.05, rel=0.01)
    assert X86.line_cost("show pfc counters", output_bytes=4 * 1024 * 1024) == pytest.approx(1.0)


def test_host_tools_are_native_and_cheap() -> None:
    line = "dcb -j pfc show dev eth1; ip -j link show dev eth1; rdma -j link show; cat /sys/class/net/eth1/mtu"
    assert 0 < X86.line_cost(line) < 0.02


def test_flat_profile_is_the_old_per_line_latency_and_not_queued() -> None:
    flat = cost_model("flat:20ms")
    assert flat.line_cost("show version; show interfaces status") == pytest.approx(0.02)
    assert flat.line_cost("   ") == 0.0
    assert not flat.serial
    assert X86.serial


@pytest.mark.parametrize("spec", ["x86_64", "flat:20", "flat:ms", "", "ARM"])
def test_unknown_profiles_are_refused_naming_the_allowed_ones(spec: str) -> None:
    with pytest.raises(ValueError, match=r"allowed: x86, arm, flat:<N>ms"):
        cost_model(spec)


def test_device_runs_commands_one_after_the_other() -> None:
    clock = DeviceClock()
    assert clock.reserve(10.0, 1.0) == pytest.approx(1.0)
    assert clock.reserve(10.0, 1.0) == pytest.approx(2.0)  # a second session's command queues behind
    assert clock.reserve(10.5, 0.5) == pytest.approx(2.0)  # free at 12.0, then 0.5 more
    assert clock.reserve(20.0, 0.25) == pytest.approx(0.25)  # idle device: only its own cost
    assert clock.busy_s == pytest.approx(2.75)
    assert clock.commands == 4


def test_unqueued_clock_still_accounts_device_time() -> None:
    clock = DeviceClock()
    assert clock.reserve(1.0, 0.02, serial=False) == clock.reserve(1.0, 0.02, serial=False) == pytest.approx(0.02)
    assert clock.busy_s == pytest.approx(0.04)


def test_redirections_are_not_tools_or_list_operators() -> None:
    assert simple_commands("show version 2>&1 | tee /tmp/v &> /dev/null") == [
        "show version 2>&1",
        "tee /tmp/v &> /dev/null",
    ]
    assert tool_words("show version 2>&1 >> /tmp/v") == ["show", "version"]
    assert X86.line_cost("show version 2>/dev/null > /tmp/v") == pytest.approx(1.0)


def test_the_switch_twin_charges_only_the_commands_that_ran() -> None:
    from rocelab.shell import TwinShell
    from rocelab.sonic import SonicTwin
    from rocelab.twin import TwinPort

    shell = TwinShell(SonicTwin("leaf1", [TwinPort("Ethernet0")]), "leaf1", X86)
    skipped = shell.run_line("show version || sonic-cfggen -d --print-data")
    assert skipped.exit_code == 0
    assert skipped.cost_s == pytest.approx(1.0)  # cfggen did not run: show version succeeded
    ran = shell.run_line("no-such-tool || sonic-cfggen -d --print-data")
    assert ran.cost_s == pytest.approx(X86.other.base_s + 0.29)


@pytest.mark.parametrize(
    ("line", "count"),
    [
        ("show pfc counters", 1),
        ("echo '@@m@@ a'; sudo redis-cli -n 4 EVAL x 0 || sonic-cfggen -d --print-data; echo '@@m@@ END'", 2),
        ("cat /etc/sonic/sonic_version.yml; cat /etc/sonic/config_db.json 2>&1", 2),
        ("echo only builtins; true", 0),
    ],
)
def test_invocations_count_the_processes_a_line_starts(line: str, count: int) -> None:
    assert invocations(line) == count


def test_a_batched_line_moves_the_sonic_twin_clock_once_per_tool() -> None:
    # One round trip that runs three tools must let as much device time pass as three commands did,
    # or a storm started during a soak is still undetected at the next (single) read.
    from rocelab.sonic.twin import SonicTwin

    twin = SonicTwin("leaf1", [])
    start = twin.clock
    twin.run("sonic-db-cli CONFIG_DB keys '*'; sonic-db-cli APPL_DB keys '*'; cat /etc/hostname", sudo=False)
    assert twin.clock == start + 3
    twin.run("echo hi", sudo=False)
    assert twin.clock == start + 4  # a line still costs at least one tick


_WORDS_CORPUS = (
    "sonic-db-cli CONFIG_DB hgetall PORT|Ethernet0",
    "sudo -n VAR=1 redis-cli -n 4 --raw EVAL x 0 2>/dev/null",
    "cat /etc/nccl.conf >> /tmp/out 2>&1",
    "echo  __m_3f9a  \t rc=$?",
    "redis-cli -n 4 keys '*'",
    'printf "%s\\n" a\\ b',
    "ip\x0blink show",
    "dcb\u00a0ets show dev eth0",
    "unterminated 'quote",
)


@pytest.mark.parametrize("command", _WORDS_CORPUS)
def test_tool_words_are_the_words_shlex_gives(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The str.split fast path must price exactly what shlex splitting priced (same tool, same charge)."""
    fast = cost.argv_tool_words(cost.shell_words.__wrapped__(command))
    monkeypatch.setattr(cost, "_NEEDS_SHLEX", re.compile(""))  # every command through shlex, as before
    assert fast == cost.argv_tool_words(cost.shell_words.__wrapped__(command))


def test_plain_commands_are_split_without_shlex(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batched lines carry a fresh nonce, so the cache misses: a command without quotes must not pay shlex."""
    import shlex

    def refuse(_: str) -> list[str]:
        raise AssertionError("shlex.split called for a plain command")

    monkeypatch.setattr(shlex, "split", refuse)
    assert tool_words("sonic-db-cli COUNTERS_DB hgetall COUNTERS:oid:0x1000000000a0c_nonce") == [
        "sonic-db-cli",
        "COUNTERS_DB",
        "hgetall",
        "COUNTERS:oid:0x1000000000a0c_nonce",
    ]
    assert X86.line_cost("echo __m_91 ; redis-cli -n 2 --raw EVAL s 0 2>/dev/null") == pytest.approx(0.004)


@pytest.mark.parametrize(
    "argv",
    [
        ["sudo", "-n", "A=1", "redis-cli", "-n", "4", "--raw", "EVAL", "return 1", "0"],
        ["grep", "-c", "a|b", "/etc/x", "2>/dev/null"],
        ["cat", ">", "f", "g"],
        ["show", "pfc counters", "*"],
        [""],
    ],
)
def test_words_a_twin_reports_it_ran_are_priced_as_their_quoted_line(argv: list[str]) -> None:
    """A twin reports the argv it ran: its tool words are those of the line quoting it (shlex round trip)."""
    import shlex

    assert list(cost.argv_tool_words(argv)) == tool_words(" ".join(shlex.quote(w) for w in argv))


@pytest.mark.parametrize(
    ("line", "commands"),
    [
        ("a \\; b;c", ["a \\; b", "c"]),
        ("x 2>&1 | y && z || w & v", ["x 2>&1", "y", "z", "w", "v"]),
        ("echo 'a;b|c' \"d&&e\" ; f", ["echo 'a;b|c' \"d&&e\"", "f"]),
        ("a &> f; b >&2 &&& c", ["a &> f", "b >&2", "c"]),
        ("tail \\", ["tail \\"]),
        ("open 'quote ; rest", ["open 'quote ; rest"]),
    ],
)
def test_simple_commands_split_at_unquoted_operators_only(line: str, commands: list[str]) -> None:
    """Pinned from the per-character splitter the token regex replaced (same commands, so the same charges)."""
    assert simple_commands(line) == commands
