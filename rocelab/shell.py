"""The login shell around a twin: prompt, session builtins, `sudo` per the Twin contract, `exit`.

It is transport-free (no sockets, no asyncio) so that its behaviour is unit-testable and identical for
interactive shells and `exec` requests. The twins carry their own small bash (lists, pipes,
redirections, `echo`, `$?`, `sudo` inside lines), so a command line goes to the twin *whole*; this layer
only owns what belongs to the session rather than the device:

* `sudo [-n|-E|-H|-S|-k] CMD` as the whole line -> twin.run(CMD, sudo=True) (the Twin contract). A line
  with list operators, pipes or redirections goes unchanged with sudo=False and the twin's shell applies
  `sudo` per command, so `sudo a; b` runs `b` unprivileged and `sudo echo 1 > /sys/x` fails as on Linux;
* `sudo -s` / `sudo -i` / `sudo su` open a root shell (prompt `#`, every line runs with sudo=True) that
  `exit` leaves: what Netmiko's `linux` enable()/config_mode() send;
* what automation sends on connect: `stty ...` (`-echo` turns echo off), `export VAR=...`, `unset VAR`,
  `VAR=value`, `PS1=...` (honoured: `\\u \\h \\w \\$` are expanded);
* `exit [N]` / `logout` end the session.

A list mixing builtins and commands (`export LANG=C; show version`) runs item by item, each command
item going to the twin on its own.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field

from rocelab.cost import NONE, CostModel, argv_tool_words, shell_words
from rocelab.twin import CommandResult, Twin

log = logging.getLogger(__name__)
DEFAULT_PS1 = r"\u@\h:\w\$ "
USER = "admin"
HOME = "/home/admin"
_SUDO_FLAGS = frozenset({"-n", "-E", "-H", "-S", "-k"})
_ROOT_SHELLS = (("-s",), ("-i",), ("su",), ("su", "-"), ("su", "root"), ("-s", "/bin/bash"), ("bash",))
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_VAR_REF = re.compile(r"\$(\?|[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})")


@dataclass
class ShellOutcome:
    """What one input line produced. `terminal` is stdout and stderr interleaved as a pty shows them."""

    stdout: str = ""
    stderr: str = ""
    terminal: str = ""
    exit_code: int = 0
    delay_s: float = 0.0  # fault delays (latency / hang faults): added on top of the device time, not queued
    cost_s: float = 0.0  # device time the line costs under the lab's cost model (queued per device)
    disconnect: bool = False  # drop the connection after writing (fault injection)
    end_session: bool = False  # `exit` / `logout` from the login shell
    echo: bool | None = None  # `stty -echo` / `stty echo`: the transport switches terminal echo
    ran: list[list[str]] | None = None  # commands the twin ran, when it says (cost model)
    paced: tuple[tuple[float, str], ...] = ()  # CommandResult.paced of a line that ran one command

    def add(self, result: CommandResult) -> None:
        self.paced = result.paced if not (self.stdout or self.stderr) else ()  # a line's own pieces only
        self.stdout += result.stdout
        self.stderr += result.stderr
        self.terminal += result.stdout + result.stderr
        self.exit_code = result.exit_code
        self.delay_s += result.delay_s
        if result.ran is not None:
            self.ran = (self.ran or []) + result.ran
        self.disconnect = self.disconnect or result.disconnect


def split_list(line: str) -> list[tuple[str, str]]:
    """Split a command line at top-level `;`, `&&`, `||` -> [(operator before, command), ...].

    The first operator is ";". Quotes and backslashes are honoured, so `echo 'a;b'` stays whole.
    """
    return list(_split_list(line))


# One match per quoted string, escape, list operator or run of plain characters: the regex engine walks the
# line, not a Python loop per character (batched lines are long and, carrying nonces, miss the cache).
_LIST_TOKEN = re.compile(r"""'[^']*'?|"[^"]*"?|\\.|&&|\|\||;|[^'"\\;&|]+|.""", re.S)


@functools.lru_cache(maxsize=1024)  # a fabric's twins are sent the same lines over and over (pure function)
def _split_list(line: str) -> tuple[tuple[str, str], ...]:
    parts: list[tuple[str, str]] = []
    op = ";"
    buf: list[str] = []
    for token in _LIST_TOKEN.findall(line):
        if token in (";", "&&", "||"):
            parts.append((op, "".join(buf).strip()))
            op, buf = token, []
        else:
            buf.append(token)
    parts.append((op, "".join(buf).strip()))
    return tuple((o, c) for o, c in parts if c)


@functools.lru_cache(maxsize=1024)
def has_operator(text: str) -> bool:
    """True when `text` has an unquoted list operator, pipe or redirection (`;` `&` `|` `<` `>`)."""
    quote, escaped = "", False
    for ch in text:
        if escaped:
            escaped = False
        elif quote:
            quote = "" if ch == quote else quote
        elif ch == "\\":
            escaped = True
        elif ch in "'\"":
            quote = ch
        elif ch in ";&|<>":
            return True
    return False


@dataclass
class TwinShell:
    """Shell state of one SSH session (variables, root shell, last exit code) around one twin."""

    twin: Twin
    hostname: str
    cost: CostModel = NONE
    root: bool = False
    last_status: int = 0
    env: dict[str, str] = field(default_factory=lambda: {"PS1": DEFAULT_PS1, "HOME": HOME, "USER": USER})

    def prompt(self) -> str:
        user = "root" if self.root else USER
        ps1 = self.env.get("PS1", DEFAULT_PS1)
        swaps = {"u": user, "h": self.hostname, "H": self.hostname, "w": "~", "W": "~", "$": "#" if self.root else "$"}
        return re.sub(r"\\([uhHwW$])", lambda m: swaps[m.group(1)], ps1)

    def run_line(self, line: str) -> ShellOutcome:
        """Run one input line; the cost model prices it by the tools it runs and what they printed."""
        line = line.strip()
        outcome = ShellOutcome(exit_code=self.last_status)
        items = split_list(line)
        if not items:
            return outcome
        if not any(self.builtin_words(cmd) for _, cmd in items):
            self.to_twin(line, outcome)
        else:
            self.run_items(items, outcome)
        if outcome.ran is not None and not self.cost.per_line_s:  # the twin said what really ran
            words = [list(argv_tool_words(cmd)) for cmd in outcome.ran]
            outcome.cost_s = self.cost.commands_cost(words, len(outcome.stdout), self.twin.read_file)
        else:
            outcome.cost_s = self.cost.line_cost(line, output_bytes=len(outcome.stdout), read_file=self.twin.read_file)
        self.last_status = outcome.exit_code
        return outcome

    def run_items(self, items: list[tuple[str, str]], outcome: ShellOutcome) -> None:
        for op, command in items:
            if (op == "&&" and outcome.exit_code != 0) or (op == "||" and outcome.exit_code == 0):
                continue
            words = self.builtin_words(command)
            if words:
                self.builtin(words, outcome)
            else:
                self.to_twin(command, outcome)
            if outcome.disconnect or outcome.end_session:
                return

    def to_twin(self, text: str, outcome: ShellOutcome) -> None:
        command, sudo = text, self.root
        if not has_operator(text):
            words = _split(text)
            flags = 1
            while flags < len(words) and words[flags] in _SUDO_FLAGS:
                flags += 1
            flags += 1 if words[flags : flags + 1] == ["--"] else 0
            if words[:1] == ["sudo"] and flags < len(words) and not words[flags].startswith("-"):
                command, sudo = _strip_sudo_prefix(text, flags), True
        try:
            outcome.add(self.twin.run(command, sudo=sudo))
        except Exception as exc:  # a twin bug must not hang the client; it is logged by the server
            log.exception("%s: twin failed on %r", self.hostname, command)
            outcome.add(CommandResult(stderr=f"-bash: lab twin error: {exc}\n", exit_code=1))

    def builtin_words(self, command: str) -> list[str]:
        """The words of `command` when it is a session builtin; [] when it belongs to the twin."""
        if has_operator(command):
            return []
        words = _split(command)
        if not words:
            return []
        name, args = words[0], words[1:]
        if name in ("exit", "logout", "stty", "export", "unset"):
            return words
        if name == "sudo":
            while args and args[0] in _SUDO_FLAGS:
                args = args[1:]
            return words if tuple(args) in _ROOT_SHELLS else []
        return words if all(_ASSIGNMENT.match(w) for w in words) else []

    def builtin(self, words: list[str], outcome: ShellOutcome) -> None:
        name, args = words[0], words[1:]
        outcome.add(CommandResult())
        if name in ("exit", "logout"):
            outcome.exit_code = int(args[0]) if args and args[0].isdigit() else self.last_status
            outcome.end_session = not self.root
            self.root = False
        elif name == "sudo":
            self.root = True
        elif name == "stty":
            outcome.echo = False if "-echo" in args else (True if "echo" in args else outcome.echo)
        elif name == "unset":
            for var in args:
                self.env.pop(var, None)
        else:
            for word in args if name == "export" else words:
                match = _ASSIGNMENT.match(word)
                if match:
                    self.env[match.group(1)] = self.expand(match.group(2))

    def expand(self, word: str) -> str:
        def value(m: re.Match[str]) -> str:
            ref = m.group(1).strip("{}")
            return str(self.last_status) if ref == "?" else self.env.get(ref, "")

        return _VAR_REF.sub(value, word)


def _split(text: str) -> list[str]:
    return list(shell_words(text))  # () for unbalanced quotes: the twin's shell reports them as bash would


def _strip_sudo_prefix(command: str, n_words: int) -> str:
    """Drop the first `n_words` words (sudo and its flags) from the raw text, keeping the rest's quoting."""
    rest = command.strip()
    for _ in range(n_words):
        parts = rest.split(None, 1)
        rest = parts[1] if len(parts) > 1 else ""
    return rest.strip()
