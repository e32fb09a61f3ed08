"""Port speeds as topology labels spell them (`400G`, `100000`), in SONiC's unit (Mb/s)."""

from __future__ import annotations

import re

_SPEED = re.compile(r"^\s*(\d+)\s*([GgMm]?)\s*$")


def speed_mbps(text: str) -> int:
    """`400G` -> 400000, `100000` -> 100000, `800M` -> 800; anything else is a ValueError naming the form."""
    match = _SPEED.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a speed; use e.g. 100G, 400G or Mb/s as a number")
    value = int(match.group(1))
    return value * 1000 if match.group(2).upper() == "G" else value
