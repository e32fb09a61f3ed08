"""Unit parsing for policy values: sizes ("150KB"), lengths ("40m"), durations ("200ms"), speeds ("400G").

Pure functions; every parser raises ValueError with a message that says what is allowed, which pydantic
turns into a located policy error.
"""

from __future__ import annotations

import re

_SIZE_UNITS = {"": 1, "B": 1, "KB": 1000, "KIB": 1024, "MB": 1000**2, "MIB": 1024**2}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
_LENGTH_RE = re.compile(r"^\s*(\d+)\s*m\s*$")
_DURATION_RE = re.compile(r"^\s*(\d+)\s*(ms|s)?\s*$")
_SPEED_RE = re.compile(r"^\s*(\d+)\s*([GM]?)\s*$", re.IGNORECASE)


def parse_bytes(value: int | str) -> int:
    """Bytes from an int or a string with unit B, KB, KiB, MB, MiB (KB = 1000, KiB = 1024)."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as 150KB, 1MiB or 1500000")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a size cannot be negative")
        return value
    m = _SIZE_RE.match(value)
    if not m or m.group(2).upper() not in _SIZE_UNITS:
        raise ValueError(f"{value!r} is not a size; use a number with unit B, KB, KiB, MB or MiB (e.g. 150KB)")
    number = float(m.group(1)) * _SIZE_UNITS[m.group(2).upper()]
    if number != int(number):
        raise ValueError(f"{value!r} is not a whole number of bytes")
    return int(number)


def parse_length_m(value: int | str) -> int:
    """Cable length in whole metres from "40m" (SONiC's CABLE_LENGTH format) or an int."""
    if isinstance(value, bool):
        raise ValueError("expected a cable length such as 40m")
    if isinstance(value, int):
        n = value
    else:
        m = _LENGTH_RE.match(value)
        if not m:
            raise ValueError(f"{value!r} is not a cable length; use whole metres with an m suffix, e.g. 40m")
        n = int(m.group(1))
    if n < 1:
        raise ValueError("cable length must be at least 1m (0m means no lossless headroom on SONiC)")
    return n


def parse_duration_ms(value: int | str) -> int:
    """Milliseconds from "200ms", "2s" or an int (taken as ms)."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 200ms")
    if isinstance(value, int):
        return value
    m = _DURATION_RE.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a duration; use ms or s, e.g. 200ms")
    n = int(m.group(1))
    return n * 1000 if m.group(2) == "s" else n


def parse_speed_mbps(value: int | str) -> int:
    """Port speed in Mb/s (SONiC's PORT.speed unit) from "400G", "100000" or an int."""
    if isinstance(value, bool):
        raise ValueError("expected a speed such as 400G or 100000")
    if isinstance(value, int):
        return value
    m = _SPEED_RE.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a speed; use e.g. 100G, 400G or Mb/s as a number")
    n = int(m.group(1))
    return n * 1000 if m.group(2).upper() == "G" else n


def format_length_m(metres: int) -> str:
    return f"{metres}m"


def format_bytes(value: int) -> str:
    """Shortest exact spelling in the units parse_bytes reads back (1500000 -> "1500KB", 2097152 -> "2MiB")."""
    for unit, size in (("MiB", 1024**2), ("MB", 1000**2), ("KiB", 1024), ("KB", 1000)):
        if value and value % size == 0:
            return f"{value // size}{unit}"
    return f"{value}B"
