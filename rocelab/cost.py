"""What a command costs the device that runs it: a per-tool table, so the lab charges what a switch charges.

A flat latency per command line hides the one cost that dominates a real SONiC switch: every `show`,
`pfcwd`, `ecnconfig` and `config` call is a Python click CLI that imports for about a second before it
prints (about 5 s on ARM), while `sonic-db-cli` (C++ since 2022) and `redis-cli` answer in milliseconds.
So the twins charge **per tool invocation**: a line is split into its simple commands (lists and pipes),
each command's tool is looked up (longest match of up to three words, `sudo` and `VAR=x` prefixes
skipped), and the costs add up. `config apply-patch FILE` adds a cost per JSON-patch operation, read from
the patch file the twin holds. Tools that move data (redis-cli, sonic-db-cli) add a cost per MiB printed.

Figures and their sources are in benchmarks/README.md ("Cost model"); the table here is the only copy
the lab reads. A device runs its commands one after the other: the SSH layer queues every command of one
twin behind the previous one (`DeviceClock`), whichever session sent it, unless the model is flat.

Profiles: `x86`, `arm`, and `flat:<N>ms` (N ms per non-empty line, not queued: the lab's behaviour
before this model, kept for comparison with older benchmark results).
"""

from __future__ import annotations

import functools
import json
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

ReadFile = Callable[[str], bytes | None]
_MIB = 1024.0 * 1024.0
_FLAT = re.compile(r"^flat:(\d+(?:\.\d+)?)ms$")
_REDIRECT = re.compile(r"^(\d*[<>]{1,2}|&>)(.*)$")  # `> f`, `2>/dev/null`, `>>f`, `2>&1`, `&> f`
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# A character that makes shlex differ from str.split: quotes, backslash, or whitespace shlex does not split on.
_NEEDS_SHLEX = re.compile(r"['\"\\]|[^\S \t\r\n]")
_SUDO_FLAGS = frozenset({"-n", "-E", "-H", "-S", "-k"})
# Shell builtins and session commands: the device's bash runs them without a new process.
_BUILTINS = frozenset({"echo", "printf", "true", "false", ":", "cd", "test", "[", "export", "unset", "stty", "exit"})
PROFILES = ("x86", "arm", "flat:20ms")


@dataclass(frozen=True)
class ToolCost:
    """Seconds one invocation costs the device; `per_op_s` per patch operation, `per_mib_s` per MiB printed."""

    base_s: float
    per_op_s: float = 0.0
    per_mib_s: float = 0.0


@dataclass(frozen=True)
class CostModel:
    """A named table of tool costs. `per_line_s` is the flat model's charge per line (then `tools` is empty)."""

    name: str
    tools: Mapping[str, ToolCost] = field(default_factory=dict)
    other: ToolCost = ToolCost(0.0)  # a tool the table does not name
    per_line_s: float = 0.0
    serial: bool = True  # commands of one device wait for each other

    def line_cost(self, line: str, *, output_bytes: int = 0, read_file: ReadFile | None = None) -> float:
        """Device seconds for one input line that printed `output_bytes`."""
        if not line.strip():
            return 0.0
        if self.per_line_s or not self.tools:
            return self.per_line_s
        return self.commands_cost([tool_words(c) for c in simple_commands(line)], output_bytes, read_file)

    def commands_cost(
        self, commands: list[list[str]], output_bytes: int = 0, read_file: ReadFile | None = None
    ) -> float:
        """Device seconds for the commands that ran (tool words each) and printed `output_bytes` in all."""
        if self.per_line_s or not self.tools:
            return self.per_line_s if commands else 0.0
        total = 0.0
        movers = [self.tool(w) for w in commands if w]
        share = output_bytes / _MIB / max(1, sum(1 for t in movers if t.per_mib_s))
        for words in commands:
            if not words:
                continue
            cost = self.tool(words)
            total += cost.base_s + cost.per_mib_s * share
            if cost.per_op_s:
                total += cost.per_op_s * patch_operations(words, read_file)
        return total

    def tool(self, words: list[str]) -> ToolCost:
        """The cost of the command `words`: the longest table key that is a prefix of its words."""
        if words[0] in _BUILTINS:
            return ToolCost(0.0)
        name = words[0].rsplit("/", 1)[-1]
        for n in (3, 2, 1):
            key = " ".join([name, *words[1:n]]) if n <= len(words) else None
            if key is not None and key in self.tools:
                return self.tools[key]
        return self.other


def simple_commands(line: str) -> list[str]:
    """The simple commands of a line: split at unquoted `;`, `&&`, `||`, `|` and `&`."""
    return list(_simple_commands(line))


# Quoted strings, escapes and runs of plain characters match whole; each of `;|&` alone (see _simple_commands).
_COMMAND_TOKEN = re.compile(r"""'[^']*'?|"[^"]*"?|\\.|[^'"\\;|&]+|.""", re.S)


@functools.lru_cache(maxsize=1024)  # every twin of a fabric is priced for the same lines (pure function)
def _simple_commands(line: str) -> tuple[str, ...]:
    parts: list[str] = []
    buf: list[str] = []
    skip = False
    for match in _COMMAND_TOKEN.finditer(line):
        token, i = match.group(), match.start()
        if skip:
            skip = False
        elif token in (";", "|", "&") and not _redirect_amp(line, i):
            parts.append("".join(buf))
            buf = []
            skip = line[i + 1 : i + 2] == token and token != ";"  # `&&` and `||` are one operator
        else:
            buf.append(token)
    parts.append("".join(buf))
    return tuple(p.strip() for p in parts if p.strip())


def invocations(line: str) -> int:
    """Processes a line starts (shell builtins excluded). A twin's logical clock advances by this, so a
    batched read of many tools lets device time pass as the separate commands did."""
    return sum(1 for c in simple_commands(line) if (words := tool_words(c)) and words[0] not in _BUILTINS)


def _redirect_amp(line: str, i: int) -> bool:
    """True when the `&` at i belongs to a redirection (`2>&1`, `&>file`), not a list operator."""
    return line[i] == "&" and ((i > 0 and line[i - 1] in "<>") or line[i + 1 : i + 2] == ">")


def tool_words(command: str) -> list[str]:
    """The words naming the tool: without `sudo [flags]`, `VAR=value` prefixes and redirections."""
    return list(argv_tool_words(shell_words(command)))


@functools.lru_cache(maxsize=1024)
def shell_words(command: str) -> tuple[str, ...]:
    """The words of a command as the shell splits them (shlex); () for unbalanced quotes. Batched lines
    carry a fresh nonce each time, so the cache misses; most commands hold no quote or escape, and then
    str.split gives shlex's words at a fraction of its cost (the lab's CPU per audit)."""
    if _NEEDS_SHLEX.search(command) is None:
        return tuple(command.split())
    try:
        return tuple(shlex.split(command))
    except ValueError:
        return ()


def argv_tool_words(argv: Sequence[str]) -> tuple[str, ...]:
    """The tool words of a command already split into words (what a twin reports it ran): no re-quoting
    and re-splitting, which gave the same words at shlex's cost."""
    words = list(argv)
    while words:
        if _ASSIGNMENT.match(words[0]):
            words = words[1:]
        elif words[0] == "sudo":
            words = words[1:]
            while words and words[0] in _SUDO_FLAGS:
                words = words[1:]
        else:
            break
    kept: list[str] = []
    skip = False
    for word in words:
        redirect = None if skip else _REDIRECT.match(word)
        if redirect is not None:
            skip = redirect.group(2) == ""  # the target is the next word
        elif skip:
            skip = False
        else:
            kept.append(word)
    return tuple(kept)


def patch_operations(words: list[str], read_file: ReadFile | None) -> int:
    """Operations in the JSON patch file named by `config apply-patch [opts] FILE` (0 when unreadable)."""
    files = [w for w in words[2:] if not w.startswith("-")]
    if not files or read_file is None:
        return 0
    data = read_file(files[-1])
    try:
        doc = json.loads(data or b"")
    except ValueError:
        return 0
    return len(doc) if isinstance(doc, list) else 0


def _profile(name: str, *, cli_s: float, native_s: float, arm: bool) -> CostModel:
    """One architecture's table. ARM figures not measured publicly are the x86 ones times 5 (the CLI ratio)."""
    k = 5.0 if arm else 1.0
    cli = ToolCost(cli_s)
    tools: dict[str, ToolCost] = {
        tool: cli
        for tool in ("show", "pfcwd", "ecnconfig", "config", "counterpoll", "pfcstat", "queuestat",
                     "watermarkstat", "portstat", "intfutil", "sonic-clear", "mmuconfig", "pfc")
    }  # fmt: skip
    tools.update(
        {
            "show runningconfiguration all": ToolCost(0.72 * k),
            "sonic-cfggen": ToolCost(0.29 * k),
            "config apply-patch": ToolCost(4.0 * k, per_op_s=0.8 * k),
            "config checkpoint": ToolCost(cli_s + 0.29 * k),
            "config rollback": ToolCost(4.0 * k),
            "config replace": ToolCost(4.0 * k),
            "sonic-db-cli": ToolCost(0.016 * (2.5 if arm else 1.0), per_mib_s=0.05 * k),
            "redis-cli": ToolCost(0.004 * (2.5 if arm else 1.0), per_mib_s=0.05 * k),
            "sonic-db-dump": ToolCost(0.5 * k, per_mib_s=0.3 * k),
            "mlnx_qos": ToolCost(0.3 * k),
            "dcb": ToolCost(native_s * 3),
            "ip": ToolCost(native_s * 2),
            "rdma": ToolCost(native_s * 2),
            "tc": ToolCost(native_s * 2),
            "ethtool": ToolCost(native_s * 3),
            "sysctl": ToolCost(native_s),
            "cat": ToolCost(native_s),
        }
    )
    return CostModel(name, MappingProxyType(tools), other=ToolCost(native_s * 5))


X86 = _profile("x86", cli_s=1.0, native_s=0.001, arm=False)
ARM = _profile("arm", cli_s=5.0, native_s=0.0025, arm=True)
NONE = CostModel("flat:0ms", per_line_s=0.0, serial=False)


def cost_model(spec: str) -> CostModel:
    """`x86` | `arm` | `flat:<N>ms` -> the model; ValueError naming what is allowed."""
    if spec == "x86":
        return X86
    if spec == "arm":
        return ARM
    match = _FLAT.match(spec)
    if match:
        return CostModel(spec, per_line_s=float(match.group(1)) / 1000.0, serial=False)
    raise ValueError(f"unknown cost model {spec!r}; allowed: x86, arm, flat:<N>ms (e.g. flat:20ms)")


class DeviceClock:
    """When one device is free again: its commands run one after the other, whichever session sent them."""

    def __init__(self) -> None:
        self.free_at = 0.0
        self.busy_s = 0.0  # device-side seconds charged so far (read by the benchmark)
        self.commands = 0

    def reserve(self, now: float, cost_s: float, *, serial: bool = True) -> float:
        """Book `cost_s` of device time for a command arriving at `now`; returns how long to wait for its output."""
        self.busy_s += cost_s
        self.commands += 1 if cost_s > 0 else 0
        if not serial:
            return cost_s
        start = max(now, self.free_at)
        self.free_at = start + cost_s
        return self.free_at - now
