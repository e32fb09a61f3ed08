"""Transaction ids shared by every platform: one id names a change in the trail, the device lock,
the SONiC checkpoint and the host snapshot, so they can be matched up after a crash.

The pattern is strict because ids end up in device-side file names and command lines.
"""

from __future__ import annotations

import re
import secrets
import time

TXID_RE = re.compile(r"^roce-agent-[0-9TZ-]+-[0-9a-f]+$")


def new_txid(now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now if now is not None else time.time()))
    return f"roce-agent-{stamp}-{secrets.token_hex(3)}"


def check_txid(txid: str) -> str:
    if not TXID_RE.match(txid):
        raise ValueError(f"transaction id {txid!r} must match {TXID_RE.pattern}")
    return txid
