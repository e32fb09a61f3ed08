"""The bash-like layer around a twin: lists, sudo, root shell, builtins, prompt, exit, faults."""

from __future__ import annotations

import pytest

from rocelab.cost import cost_model
from rocelab.shell import TwinShell, has_operator, split_list
from rocelab.twin import CommandResult


class RecordingTwin:
    """Records what reaches the twin; `rc N` exits N, `drop` asks for a disconnect, `wait` for a delay."""

    hostname = "leaf1"

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []

    def run(self, command: str, *, sudo: bool) -> CommandResult:
        self.calls.append((command, sudo))
        if command.startswith("rc "):
            return CommandResult(stderr="failed\n", exit_code=int(command[3:]))
        if command == "drop":
            return CommandResult(stdout="partial\n", disconnect=True)
        if command == "wait":
            return CommandResult(stdout="waited\n", delay_s=0.25)
        return CommandResult(stdout=f"<{command}>\n")

    def write_file(self, path: str, data: bytes) -> None:
        raise AssertionError("not used")

    def read_file(self, path: str) -> bytes | None:
        return None

    def inject_fault(self, kind: str, options: dict[str, str]) -> str:
        return kind

    def set_traffic(self, port: str, pattern: str) -> str:
        return pattern


@pytest.fixture
def twin() -> RecordingTwin:
    return RecordingTwin()


@pytest.fixture
def shell(twin: RecordingTwin) -> TwinShell:
    return TwinShell(twin, "leaf1")


@pytest.mark.parametrize(
    ("line", "parts"),
    [
        ("show a", [(";", "show a")]),
        ("a; b && c || d", [(";", "a"), (";", "b"), ("&&", "c"), ("||", "d")]),
        ("echo 'x;y' && echo \"p||q\"", [(";", "echo 'x;y'"), ("&&", 'echo "p||q"')]),
        ("a \\; b", [(";", "a \\; b")]),
        ("cat f | grep x 2>&1", [(";", "cat f | grep x 2>&1")]),
        ("a;;  ;b", [(";", "a"), (";", "b")]),
    ],
)
def test_split_list_is_quote_aware(line: str, parts: list[tuple[str, str]]) -> None:
    assert split_list(line) == parts


def test_default_prompt_is_admin_at_host(shell: TwinShell) -> None:
    assert shell.prompt() == "admin@leaf1:~$ "


def test_plain_command_reaches_twin_without_sudo(shell: TwinShell, twin: RecordingTwin) -> None:
    out = shell.run_line("show interfaces status")
    assert out.stdout == "<show interfaces status>\n"
    assert out.exit_code == 0
    assert twin.calls == [("show interfaces status", False)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a; b", True), ("a && b", True), ("a | grep x", True), ("echo 1 > /sys/x", True), ("cmd 2>&1", True),
     ("show 'PORT|Ethernet0'", False), ('echo "a;b"', False), ("a \\; b", False), ("config save -y", False)],
)  # fmt: skip
def test_has_operator_ignores_quoted_and_escaped_characters(text: str, expected: bool) -> None:
    assert has_operator(text) is expected


@pytest.mark.parametrize("line", ["sudo config save -y", "sudo -n config save -y", "sudo -E -- config save -y"])
def test_sudo_prefix_and_flags_are_stripped(shell: TwinShell, twin: RecordingTwin, line: str) -> None:
    shell.run_line(line)
    assert twin.calls == [("config save -y", True)]


def test_sudo_keeps_the_commands_quoting(shell: TwinShell, twin: RecordingTwin) -> None:
    shell.run_line("sudo sonic-db-cli CONFIG_DB HSET 'PORT|Ethernet0' mtu 9100")
    assert twin.calls == [("sonic-db-cli CONFIG_DB HSET 'PORT|Ethernet0' mtu 9100", True)]


@pytest.mark.parametrize(
    "line",
    ["sudo config save -y; show version", "sudo echo 1 > /sys/class/net/eth1/mtu", "sudo -u nobody id", "sudo"],
)
def test_lines_the_twin_must_see_whole_go_unchanged_without_sudo(
    shell: TwinShell, twin: RecordingTwin, line: str
) -> None:
    # lists, pipes and redirections: the twin's shell applies sudo per command, as bash would
    shell.run_line(line)
    assert twin.calls == [(line, False)]


def test_a_list_goes_to_the_twin_whole(shell: TwinShell, twin: RecordingTwin) -> None:
    out = shell.run_line("echo ==BEGIN a==; show a; echo ==END a==")
    assert twin.calls == [("echo ==BEGIN a==; show a; echo ==END a==", False)]
    assert out.stdout == "<echo ==BEGIN a==; show a; echo ==END a==>\n"


def test_mixed_lists_run_builtins_here_and_commands_on_the_twin(shell: TwinShell, twin: RecordingTwin) -> None:
    out = shell.run_line("export LANG=C && rc 3 || recovered; unset LANG")
    assert twin.calls == [("rc 3", False), ("recovered", False)]
    assert out.terminal == "failed\n<recovered>\n"
    assert out.exit_code == 0
    assert "LANG" not in shell.env


def test_root_shell_runs_everything_with_sudo_until_exit(shell: TwinShell, twin: RecordingTwin) -> None:
    shell.run_line("sudo -s")
    assert shell.prompt() == "root@leaf1:~# "
    shell.run_line("config reload -y")
    shell.run_line("a; b")
    out = shell.run_line("exit")
    assert not out.end_session
    assert shell.prompt() == "admin@leaf1:~$ "
    shell.run_line("show version")
    assert twin.calls == [("config reload -y", True), ("a; b", True), ("show version", False)]


@pytest.mark.parametrize(("line", "code"), [("exit", 0), ("logout", 0), ("exit 5", 5)])
def test_exit_ends_the_login_shell(shell: TwinShell, line: str, code: int) -> None:
    out = shell.run_line(line)
    assert out.end_session
    assert out.exit_code == code


def test_exit_stops_the_rest_of_the_list(shell: TwinShell, twin: RecordingTwin) -> None:
    assert shell.run_line("exit; show version").end_session
    assert twin.calls == []
    out = TwinShell(twin, "leaf1").run_line("show version; exit 3")
    assert out.end_session
    assert out.exit_code == 3
    assert twin.calls == [("show version", False)]


def test_exit_without_code_returns_the_last_status(shell: TwinShell) -> None:
    shell.run_line("rc 4")
    assert shell.run_line("exit").exit_code == 4


def test_what_netmiko_and_scripts_send_on_connect_is_accepted(shell: TwinShell, twin: RecordingTwin) -> None:
    for line in ["stty -echo", "export PS1='\\u@\\h> '", "unset PROMPT_COMMAND", "TERM=dumb", "export LANG=C"]:
        assert shell.run_line(line).exit_code == 0, line
    assert twin.calls == []
    assert shell.prompt() == "admin@leaf1> "
    assert shell.run_line("stty -echo").echo is False
    assert shell.run_line("stty echo").echo is True
    assert shell.run_line("stty cols 200").echo is None


def test_exported_values_expand_status_and_variables(shell: TwinShell) -> None:
    shell.run_line("export BASE=/etc")
    shell.run_line("rc 7")
    shell.run_line("export WHERE=${BASE}/sonic LAST=$?")
    assert (shell.env["WHERE"], shell.env["LAST"]) == ("/etc/sonic", "7")


def test_a_twin_exception_becomes_an_error_not_a_hang(shell: TwinShell, twin: RecordingTwin) -> None:
    def broken(command: str, *, sudo: bool) -> CommandResult:
        raise KeyError("boom")

    twin.run = broken  # type: ignore[method-assign]
    out = shell.run_line("show version")
    assert out.exit_code == 1
    assert "lab twin error" in out.stderr


def test_disconnect_in_a_mixed_list_stops_it_and_keeps_output(shell: TwinShell, twin: RecordingTwin) -> None:
    out = shell.run_line("export A=1; drop; never")
    assert out.disconnect
    assert out.stdout == "partial\n"
    assert [c for c, _ in twin.calls] == ["drop"]


def test_flat_cost_applies_once_per_line_and_twin_delays_stay_apart(twin: RecordingTwin) -> None:
    shell = TwinShell(twin, "leaf1", cost_model("flat:500ms"))
    waited = shell.run_line("wait")
    assert (waited.cost_s, waited.delay_s) == (pytest.approx(0.5), pytest.approx(0.25))
    assert shell.run_line("a; b").cost_s == pytest.approx(0.5)
    assert shell.run_line("").cost_s == 0.0  # a bare Enter (prompt detection) is not a command


def test_tool_cost_prices_each_tool_of_the_line(twin: RecordingTwin) -> None:
    shell = TwinShell(twin, "leaf1", cost_model("x86"))
    assert shell.run_line("show version; sonic-db-cli APPL_DB keys '*'").cost_s == pytest.approx(1.016, abs=1e-4)
    assert shell.run_line("export A=1").cost_s == 0.0


@pytest.mark.parametrize(
    ("line", "items"),
    [
        ("a \\; b;c", [(";", "a \\; b"), (";", "c")]),
        ("x 2>&1 | y && z || w & v", [(";", "x 2>&1 | y"), ("&&", "z"), ("||", "w & v")]),
        ("echo 'a;b|c' \"d&&e\" ; f", [(";", "echo 'a;b|c' \"d&&e\""), (";", "f")]),
        ("a &> f; b >&2 &&& c", [(";", "a &> f"), (";", "b >&2"), ("&&", "& c")]),
        ("tail \\", [(";", "tail \\")]),
        ("open 'quote ; rest", [(";", "open 'quote ; rest")]),
        (";;  ; ", []),
    ],
)
def test_split_list_splits_at_unquoted_list_operators(line: str, items: list[tuple[str, str]]) -> None:
    """Pinned from the per-character splitter the token regex replaced (same items, so the same outputs)."""
    assert split_list(line) == items
