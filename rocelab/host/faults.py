"""Fault injection for the host twin (`roce-agent lab fault HOST KIND k=v ...`).

Kinds: fail-command (pattern=REGEX [message=TEXT]), latency (seconds=S), drop-after-commands (k=N),
reject-app ([dev=IF] [errno=EINVAL] [count=N]), hang ([seconds=S]), clear. `flap-time` belongs to the
twin (it changes the link model, not the session) and is handled there, like `driver-reload` and
`drop-address` ([dev=IF]: the netdev loses its IPv4 address, so ib_core drops its RoCE v1/v2 GIDs;
`clear` gives it back).
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass, field

KINDS = (
    "fail-command",
    "latency",
    "drop-after-commands",
    "reject-app",
    "flap-time",
    "driver-reload",
    "drop-address",
    "hang",
    "clear",
)


@dataclass
class RejectApp:
    dev: str | None
    code: int
    remaining: int | None  # None = until cleared


@dataclass
class Faults:
    fail: list[tuple[re.Pattern[str], str]] = field(default_factory=list)
    latency_s: float = 0.0
    drop_after: int | None = None  # commands left before the session is dropped
    reject_app: list[RejectApp] = field(default_factory=list)
    hang_s: float | None = None

    def arm(self, kind: str, options: dict[str, str]) -> str:
        if kind == "fail-command":
            return self._arm_fail(options)
        if kind == "latency":
            self.latency_s = _number(options, "seconds", required=True)
            return f"every command answers after {self.latency_s:g} s"
        if kind == "drop-after-commands":
            count = int(_number(options, "k", required=True))
            if count < 1:
                raise ValueError("drop-after-commands: k must be >= 1")
            self.drop_after = count
            return f"the session is dropped after {count} more command(s)"
        if kind == "reject-app":
            return self._arm_reject(options)
        if kind == "hang":
            self.hang_s = _number(options, "seconds") or 3600.0
            return f"commands hang for {self.hang_s:g} s"
        if kind == "clear":
            self.__init__()  # type: ignore[misc]
            return "all faults cleared"
        raise ValueError(f"unknown fault kind {kind!r}; allowed: {', '.join(KINDS)}")

    def _arm_fail(self, options: dict[str, str]) -> str:
        pattern = options.get("pattern")
        if not pattern:
            raise ValueError("fail-command needs pattern=REGEX")
        try:
            compiled = re.compile(pattern)
        except re.error as problem:
            raise ValueError(f"fail-command: bad pattern {pattern!r}: {problem}") from None
        message = options.get("message", "")
        self.fail.append((compiled, message))
        return f"commands matching /{pattern}/ fail" + (f" with {message!r}" if message else "")

    def _arm_reject(self, options: dict[str, str]) -> str:
        name = options.get("errno", "EINVAL").upper()
        code = getattr(errno, name, None)
        if not isinstance(code, int):
            raise ValueError(f"reject-app: unknown errno {name!r}")
        count = int(options["count"]) if "count" in options else None
        dev = options.get("dev")
        self.reject_app.append(RejectApp(dev, code, count))
        scope = f"on {dev}" if dev else "on every NIC"
        return f"the kernel rejects DCB APP writes {scope} with {name}" + (f" ({count}x)" if count else "")

    def command_failure(self, command: str) -> str | None:
        for pattern, message in self.fail:
            if pattern.search(command):
                return message or f"{command.split()[0]}: Input/output error"
        return None

    def app_write(self, dev: str) -> int:
        for rule in self.reject_app:
            if rule.dev in (None, dev) and rule.remaining != 0:
                if rule.remaining is not None:
                    rule.remaining -= 1
                return rule.code
        return 0

    def session(self) -> tuple[float, bool]:
        """(delay, disconnect) for the command being answered now."""
        delay = self.latency_s + (self.hang_s or 0.0)
        drop = False
        if self.drop_after is not None:
            self.drop_after -= 1
            if self.drop_after <= 0:
                drop, self.drop_after = True, None
        return delay, drop


def _number(options: dict[str, str], key: str, *, required: bool = False) -> float:
    if key not in options:
        if required:
            raise ValueError(f"missing option {key}=NUMBER")
        return 0.0
    try:
        value = float(options[key])
    except ValueError:
        raise ValueError(f"option {key} must be a number, not {options[key]!r}") from None
    if value < 0:
        raise ValueError(f"option {key} must be >= 0")
    return value
