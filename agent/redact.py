"""Redaction of secret-looking values in free text (device errors, partial-read notes) before it is
shown, stored in the audit history or written to a snapshot. Pure; used by checks, reports and CLI."""

from __future__ import annotations

import re

_SECRET = re.compile(r"(?i)\b(password|passwd|secret|token|community|api[_-]?key|private[_-]?key)(\s*[:=]\s*|\s+)(\S+)")


def scrub(text: str) -> str:
    """Replace the value that follows a secret-looking keyword with ***."""
    return _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
