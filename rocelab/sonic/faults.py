"""Fault injection for the twin (`roce-agent lab fault DEVICE KIND k=v ...`).

Kinds: `drop-after-commands k`, `drop-after-writes k`, `fail-command pattern=... [message=...]`,
`latency seconds=S`, `refuse-table table=T`, `hang`, `clear`. One-shot faults disarm after firing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HANG_SECONDS = 3600.0
KINDS = ("drop-after-commands", "drop-after-writes", "fail-command", "latency", "refuse-table", "hang", "clear")


def _option(options: dict[str, str], *names: str) -> str | None:
    for name in names:
        if options.get(name):
            return options[name]
    return None


def _count(options: dict[str, str]) -> int:
    raw = _option(options, "k", "count", "n", "value")
    if raw is None or not raw.isdigit():
        raise ValueError("needs a non-negative integer k=N")
    return int(raw)


@dataclass
class Faults:
    drop_after_commands: int | None = None
    drop_after_writes: int | None = None
    fail_pattern: str | None = None
    fail_message: str = "Error: injected failure"
    latency_s: float = 0.0
    refused_tables: set[str] = field(default_factory=set)
    hang_next: bool = False

    def arm(self, kind: str, options: dict[str, str]) -> str:
        """Arm one fault; raises ValueError for an unknown kind or bad options."""
        handlers = {
            "drop-after-commands": self._drop_after_commands,
            "drop-after-writes": self._drop_after_writes,
            "fail-command": self._fail_command,
            "latency": self._latency,
            "refuse-table": self._refuse_table,
            "hang": self._hang,
            "clear": self._clear,
        }
        handler = handlers.get(kind)
        if handler is None:
            raise ValueError(f"unknown fault kind {kind!r}; allowed: {', '.join(KINDS)}")
        return handler(options)

    def _drop_after_commands(self, options: dict[str, str]) -> str:
        self.drop_after_commands = _count(options)
        return f"drop the session after {self.drop_after_commands} more command(s)"

    def _drop_after_writes(self, options: dict[str, str]) -> str:
        self.drop_after_writes = _count(options)
        return f"drop the session after {self.drop_after_writes} more CONFIG_DB write(s)"

    def _fail_command(self, options: dict[str, str]) -> str:
        pattern = _option(options, "pattern", "command", "value")
        if not pattern:
            raise ValueError("fail-command needs pattern=TEXT")
        self.fail_pattern = pattern
        self.fail_message = _option(options, "message") or "Error: injected failure"
        return f"fail the next command containing {pattern!r}"

    def _latency(self, options: dict[str, str]) -> str:
        try:
            self.latency_s = float(_option(options, "seconds", "s", "value") or "")
        except ValueError as exc:
            raise ValueError("latency needs seconds=S") from exc
        return f"add {self.latency_s:g}s to every command"

    def _refuse_table(self, options: dict[str, str]) -> str:
        table = _option(options, "table", "value")
        if not table:
            raise ValueError("refuse-table needs table=NAME")
        self.refused_tables.add(table)
        return f"GCU refuses patches touching {table}"

    def _hang(self, options: dict[str, str]) -> str:
        self.hang_next = True
        return "the next command never answers"

    def _clear(self, options: dict[str, str]) -> str:
        self.drop_after_commands = self.drop_after_writes = self.fail_pattern = None
        self.latency_s, self.hang_next = 0.0, False
        self.refused_tables.clear()  # shared with the GCU, so cleared in place
        return "all faults cleared"

    def take_fail(self, command: str) -> str | None:
        if self.fail_pattern is not None and self.fail_pattern in command:
            self.fail_pattern = None
            return self.fail_message
        return None

    def take_command_drop(self) -> bool:
        """Count one answered command; True when this answer is the last before the drop."""
        if self.drop_after_commands is None:
            return False
        self.drop_after_commands -= 1
        if self.drop_after_commands <= 0:
            self.drop_after_commands = None
            return True
        return False

    def take_write_budget(self, *, dry_run: bool = False) -> int | None:
        """The whole budget for one GCU apply (a dry run writes nothing and leaves the fault armed)."""
        if dry_run:
            return None
        budget, self.drop_after_writes = self.drop_after_writes, None
        return budget

    def allow_single_write(self) -> bool:
        """One `sonic-db-cli ... hset|hdel|del` on CONFIG_DB; False means: drop the session instead."""
        if self.drop_after_writes is None:
            return True
        if self.drop_after_writes <= 0:
            self.drop_after_writes = None
            return False
        self.drop_after_writes -= 1
        return True
