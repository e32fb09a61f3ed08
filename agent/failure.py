"""Why a device failed, as one line a person can act on: never empty, secrets masked.

Some failures carry no message at all (paramiko raises a bare `EOFError` when an sshd sends its banner
and hangs up), and `str()` of those is "" - a report that said `leaf1: FAILED: ` left the operator
guessing. Every per-device failure shown or stored goes through `reason`.
"""

from __future__ import annotations

from nornir.core.task import Result

from agent.redact import scrub


def exception_reason(exc: BaseException) -> str:
    """First non-empty line of the exception's message, else its type (`EOFError with no message`)."""
    line = first_line(str(exc))
    return scrub(line) if line else f"{type(exc).__name__} with no message"


def reason(res: Result, limit: int | None = None) -> str:
    """Why a Nornir result failed: its exception, else its result's text, else that nothing was returned."""
    if res.exception is not None:
        text = exception_reason(res.exception)
    else:
        text = scrub(first_line(str(res.result)) if res.result is not None else "") or "no result and no error"
    return text if limit is None else text[:limit]


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
