"""iproute2's json_writer: compact `{"k":v}` output, and the `-p` pretty form (`[ a,b ]` arrays).

Pretty output is not `json.dumps(indent=4)`: names start a new line indented by 4 spaces per level,
array elements stay on one line inside `[ ... ]`, and objects inside arrays open on the same line
(`[ {` ... `} ]`), which is what `dcb -j -p`, `ip -j -p` and `rdma -j -p` print.
"""

from __future__ import annotations

import json
from typing import Any


class _Writer:
    def __init__(self, pretty: bool) -> None:
        self.pretty = pretty
        self.out: list[str] = []
        self.depth = 0
        self.sep = ""

    def eor(self) -> None:
        if self.sep:
            self.out.append(self.sep)
        self.sep = ","

    def eol(self) -> None:
        if self.pretty:
            self.out.append("\n" + "    " * self.depth)

    def begin(self, char: str) -> None:
        self.eor()
        self.out.append(char)
        self.depth += 1
        self.sep = ""

    def end(self, char: str) -> None:
        self.depth -= 1
        if self.sep:
            self.eol()
        self.out.append(char)
        self.sep = ","

    def value(self, value: Any) -> None:
        if isinstance(value, dict):
            self.begin("{")
            for key, item in value.items():
                self.eor()
                self.eol()
                self.sep = ""
                self.out.append(json.dumps(key) + (": " if self.pretty else ":"))
                self.value(item)
            self.end("}")
        elif isinstance(value, list):
            self.begin("[")
            if self.pretty:
                self.out.append(" ")
            for item in value:
                self.value(item)
            if self.pretty and self.sep:
                self.out.append(" ")
            self.sep = ""
            self.end("]")
        else:
            self.eor()
            self.out.append(json.dumps(value))


def dumps(value: Any, *, pretty: bool = False) -> str:
    """The document followed by the newline jsonw_destroy() prints."""
    writer = _Writer(pretty)
    writer.value(value)
    return "".join(writer.out) + "\n"
