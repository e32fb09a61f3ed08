"""Redaction of secrets in everything the agent shows or stores (console, logs, trail, reports, snapshots).

Two layers. A keyword pattern catches values that *look* secret (`password=...`, `token: ...`). And a
process-wide registry of the secret values the agent actually holds (inventory passwords, the values of
`password_env` variables), filled when an inventory is loaded, replaces those values wherever they
appear, whatever surrounds them: a device error that quotes the password verbatim ("cannot open
/etc/<password>.json") has no keyword to match. The sinks call `scrub` once on the way out, so a new
message path cannot forget it: `MaskingStream` wraps stdout/stderr, `install_log_masking` covers every
log record, and the trail, reports and snapshots scrub what they write.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from typing import IO, Any

MASK = "***"
MIN_SECRET_LEN = 4  # shorter values would mask ordinary words; such passwords are refused nowhere, only unmasked

_KEYWORD = r"(?i:\b(password|passwd|secret|token|community|api[_-]?key|private[_-]?key))"
# `password=x` / `token: x`: whatever follows is the value. `password x` (config-line style) only when x
# does not read as a plain word, so prose about secrets ("next token found", "secret values") survives;
# and never across a line break. Values the agent really holds are masked by the registry regardless.
_PLAIN_WORD = r"(?:[a-z]+|[A-Z][a-z]+)(?:[\s,;:!?)]|\.(?:\s|$)|$)"  # "found", "Authentication", "values."
_SECRET = re.compile(_KEYWORD + r"(?:([ \t]*[:=][ \t]*)(\S+)|([ \t]+)(?!" + _PLAIN_WORD + r")(\S+))")
_lock = threading.Lock()
_known: set[str] = set()
_known_re: re.Pattern[str] | None = None
_log_masking = False


def register_secret(value: str | None) -> None:
    """Remember a secret value so every later `scrub` masks it (idempotent, thread-safe)."""
    global _known_re
    if not value or len(value) < MIN_SECRET_LEN or value in _known:
        return
    with _lock:
        _known.add(value)
        ordered = sorted(_known, key=len, reverse=True)  # a secret containing another is masked whole
        _known_re = re.compile("|".join(re.escape(v) for v in ordered))


def known_secrets() -> frozenset[str]:
    return frozenset(_known)


def forget_secrets() -> None:
    """Tests only: start from an empty registry."""
    global _known_re
    with _lock:
        _known.clear()
        _known_re = None


# Every _KEYWORD match contains one of these, case-folded (casefold, not lower: the regex's IGNORECASE
# also matches the long s and the Kelvin sign, which casefold maps to "s" and "k").
_KEYWORD_STEMS = ("passw", "secret", "token", "community", "api", "private")


def scrub(text: str) -> str:
    """Mask every registered secret value, then the value that follows a secret-looking keyword.

    The keyword regex runs only on text that contains a keyword stem: scanning a 1 MB audit report with
    it cost ~0.1 s of CPU per audit (N = 128 devices, the JSON report has no keyword at all), the
    casefolded substring test ~25 ms."""
    pattern = _known_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
    folded = text.casefold()
    if not any(stem in folded for stem in _KEYWORD_STEMS):
        return text
    return _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2) or m.group(4)}{MASK}", text)


def scrub_value(value: Any) -> Any:
    """`scrub` through JSON-like data (dicts, lists, strings); other values are returned as they are."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_value(v) for v in value]
    return value


class MaskingStream:
    """A text stream that scrubs every write before passing it on (stdout/stderr of the CLI)."""

    def __init__(self, inner: IO[str]) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(scrub(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, encoding, fileno ... of the wrapped stream
        return getattr(self.inner, name)


def masked(stream: IO[str]) -> IO[str]:
    """`stream` wrapped once in a MaskingStream (wrapping twice would only cost time)."""
    return stream if isinstance(stream, MaskingStream) else MaskingStream(stream)  # type: ignore[return-value]


def install_output_masking() -> None:
    """What every entry point calls first: stdout, stderr and every log record are scrubbed from now on."""
    sys.stdout = masked(sys.stdout)
    sys.stderr = masked(sys.stderr)
    install_log_masking()


def install_log_masking() -> None:
    """Every log record's message is scrubbed when it is created, whichever handler writes it."""
    global _log_masking
    factory = logging.getLogRecordFactory()
    if _log_masking:
        return

    def masking_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed format string: leave it to the handler's own error path
            return record
        record.msg, record.args = scrub(message), None
        return record

    logging.setLogRecordFactory(masking_factory)
    _log_masking = True
