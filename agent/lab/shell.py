"""The bash-like layer between an SSH session and a twin: prompt, `sudo`, lists, builtins, `exit`.

It is transport-free (no sockets, no asyncio) so that its behaviour is unit-testable and identical for
interactive shells and `exec` requests. Twins only ever see one simple command and whether it runs
with sudo; everything a login shell does around that lives here:

* lists: `a; b`, `a && b`, `a || b` (quote-aware; pipes and redirections stay inside the command and
  are the twin's business);
* `sudo [-n|-E|-H|-S|-k] CMD` -> twin.run(CMD, sudo=True); `sudo -s` / `sudo -i` / `sudo su` open a root
  shell (prompt `#`) that `exit` leaves, which is what Netmiko's `linux` enable()/config_mode() send;
* what automation sends on connect: `stty ...` (`-echo` turns echo off), `export VAR=...`, `unset VAR`,
  `VAR=value`, `PS1=...` (honoured: `\\u \\h \\w \\$` are expanded), `true`, `false`, `:`, `echo`
  (with `$?` and `$VAR`);
* `exit [N]` / `logout` end the session.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from agent.lab.twin import CommandResult, Twin

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
    delay_s: float = 0.0
    disconnect: bool = False  # drop the connection after writing (fault injection)
    end_session: bool = False  # `exit` / `logout` from the login shell
    echo: bool | None = None  # `stty -echo` / `stty echo`: the transport switches terminal echo

    def add(self, result: CommandResult) -> None:
        self.stdout += result.stdout
        self.stderr += result.stderr
        self.terminal += result.stdout + result.stderr
        self.exit_code = result.exit_code
        self.delay_s += result.delay_s
        self.disconnect = self.disconnect or result.disconnect


def split_list(line: str) -> list[tuple[str, str]]:
    """Split a command line at top-level `;`, `&&`, `||` -> [(operator before, command), ...].

    The first operator is ";". Quotes and backslashes are honoured, so `echo 'a;b'` stays whole.
    """
    parts: list[tuple[str, str]] = []
    op, buf, quote, i = ";", [], "", 0
    while i < len(line):
        ch = line[i]
        if quote:
            quote = "" if ch == quote else quote
            buf.append(ch)
        elif ch == "\\" and i + 1 < len(line):
            buf.append(line[i : i + 2])
            i += 1
        elif ch in "'\"":
            quote = ch
            buf.append(ch)
        elif ch == ";" or line.startswith(("&&", "||"), i):
            parts.append((op, "".join(buf).strip()))
            op = ";" if ch == ";" else line[i : i + 2]
            i += 0 if ch == ";" else 1
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append((op, "".join(buf).strip()))
    return [(o, c) for o, c in parts if c]


@dataclass
class TwinShell:
    """Shell state of one SSH session (variables, root shell, last exit code) around one twin."""

    twin: Twin
    hostname: str
    latency_s: float = 0.0
    root: bool = False
    last_status: int = 0
    env: dict[str, str] = field(default_factory=lambda: {"PS1": DEFAULT_PS1, "HOME": HOME, "USER": USER})

    def prompt(self) -> str:
        user = "root" if self.root else USER
        ps1 = self.env.get("PS1", DEFAULT_PS1)
        swaps = {"u": user, "h": self.hostname, "H": self.hostname, "w": "~", "W": "~", "$": "#" if self.root else "$"}
        return re.sub(r"\\([uhHwW$])", lambda m: swaps[m.group(1)], ps1)

    def run_line(self, line: str) -> ShellOutcome:
        """Run one input line (a list of commands); latency applies once per non-empty line."""
        outcome = ShellOutcome(exit_code=self.last_status)
        commands = split_list(line.strip())
        if commands:
            outcome.delay_s += self.latency_s
        for op, command in commands:
            if (op == "&&" and outcome.exit_code != 0) or (op == "||" and outcome.exit_code == 0):
                continue
            self.run_command(command, outcome)
            self.last_status = outcome.exit_code
            if outcome.disconnect or outcome.end_session:
                break
        return outcome

    def run_command(self, command: str, outcome: ShellOutcome) -> None:
        try:
            words = shlex.split(command)
        except ValueError:
            outcome.add(CommandResult(stderr="-bash: syntax error: unexpected end of file\n", exit_code=2))
            return
        if self.builtin(words, outcome):
            return
        if words and words[0] == "sudo":
            self.sudo(command, words, outcome)
            return
        outcome.add(self.twin.run(command, sudo=self.root))

    def sudo(self, command: str, words: list[str], outcome: ShellOutcome) -> None:
        args = words[1:]
        while args and args[0] in _SUDO_FLAGS:
            args = args[1:]
        if args and args[0] == "--":
            args = args[1:]
        if tuple(args) in _ROOT_SHELLS:
            self.root = True
            outcome.add(CommandResult())
            return
        if not args or args[0].startswith("-"):
            usage = "usage: sudo [-nEHSk] command\n" if not args else f"sudo: unsupported option {args[0]!r}\n"
            outcome.add(CommandResult(stderr=usage, exit_code=1))
            return
        outcome.add(self.twin.run(_strip_sudo_prefix(command, len(words) - len(args)), sudo=True))

    def builtin(self, words: list[str], outcome: ShellOutcome) -> bool:
        """Handle shell builtins; False when the command belongs to the twin."""
        if not words:
            return True
        name, args = words[0], words[1:]
        if name in ("exit", "logout"):
            code = int(args[0]) if args and args[0].isdigit() else self.last_status
            if self.root:
                self.root = False
            else:
                outcome.end_session = True
            outcome.exit_code = code
            return True
        if name == "stty":
            outcome.echo = False if "-echo" in args else (True if "echo" in args else outcome.echo)
            outcome.add(CommandResult())
            return True
        if name in ("true", ":", "false"):
            outcome.add(CommandResult(exit_code=1 if name == "false" else 0))
            return True
        if name == "echo":
            newline = "" if args[:1] == ["-n"] else "\n"
            text = " ".join(self.expand(a) for a in (args[1:] if not newline else args))
            outcome.add(CommandResult(stdout=text + newline))
            return True
        return self.assignment(words, outcome)

    def assignment(self, words: list[str], outcome: ShellOutcome) -> bool:
        name, args = words[0], words[1:]
        if name == "unset":
            for var in args:
                self.env.pop(var, None)
            outcome.add(CommandResult())
            return True
        targets = args if name == "export" else words
        matches = [_ASSIGNMENT.match(w) for w in targets]
        if name != "export" and not all(matches):
            return False
        for m in matches:
            if m:
                self.env[m.group(1)] = self.expand(m.group(2))
        outcome.add(CommandResult())
        return True

    def expand(self, word: str) -> str:
        def value(m: re.Match[str]) -> str:
            ref = m.group(1).strip("{}")
            return str(self.last_status) if ref == "?" else self.env.get(ref, "")

        return _VAR_REF.sub(value, word)


def _strip_sudo_prefix(command: str, n_words: int) -> str:
    """Drop the first `n_words` words (sudo and its flags) from the raw text, keeping the rest's quoting."""
    rest = command.lstrip()
    for _ in range(n_words):
        rest = rest.split(None, 1)[1] if len(rest.split(None, 1)) > 1 else ""
    return rest.strip()
