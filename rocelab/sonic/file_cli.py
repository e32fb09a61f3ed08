"""`printf` and `mv` on the SONiC twin: how an agent writes a small file and swaps it into place.

The device lock (agent.rollout.line_lock) is taken with `printf '%s\\n' RECORD > TMP` and `mv -f TMP
LOCK`, both coreutils/bash on every SONiC image; the twin keeps its plain files in a dict.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rocelab.twin import CommandResult


def printf(words: list[str]) -> CommandResult:
    """`printf FORMAT [ARG...]` with `%s`/`%d` and the `\\n`/`\\t` escapes."""
    if len(words) < 2:
        return CommandResult(stderr="printf: usage: printf [-v var] format [arguments]\n", exit_code=2)
    values = iter(words[2:])
    fmt = words[1].replace("\\n", "\n").replace("\\t", "\t")
    return CommandResult(stdout=re.sub(r"%[sd]", lambda _m: next(values, ""), fmt))


def mv(files: dict[str, bytes], words: list[str], absolute: Callable[[str], str]) -> CommandResult:
    """`mv [-f] SRC DST`: rename(2), so DST is replaced at once (never seen half-written)."""
    operands = [w for w in words[1:] if not w.startswith("-")]
    if len(operands) != 2:
        return CommandResult(stderr="mv: this switch supports `mv [-f] SOURCE DEST` only\n", exit_code=1)
    source, dest = absolute(operands[0]), absolute(operands[1])
    data = files.pop(source, None)
    if data is None:
        return CommandResult(stderr=f"mv: cannot stat '{operands[0]}': No such file or directory\n", exit_code=1)
    files[dest] = data
    return CommandResult()
