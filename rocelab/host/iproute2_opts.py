"""The output options `ip` and `rdma` share (iproute2's common -j/-d/-p handling), parsed in one place.

Each tool keeps its own answers to `-V` and to an unknown option (the texts and exit codes differ), so
the parser only says which word stopped it.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION_FLAGS = ("-V", "-Version")


@dataclass
class OutputOptions:
    as_json: bool = False
    details: bool = False
    pretty: bool = False


def parse_output_options(argv: list[str], ignored: tuple[str, ...] = ()) -> tuple[OutputOptions, int, str | None]:
    """(options, index of the first non-option word, the -V or unknown option that stopped parsing)."""
    opts = OutputOptions()
    pos = 0
    while pos < len(argv) and argv[pos].startswith("-"):
        flag = argv[pos]
        if flag in ("-j", "-json"):
            opts.as_json = True
        elif flag in ("-d", "-details"):
            opts.details = True
        elif flag in ("-p", "-pretty"):
            opts.pretty = True
        elif flag not in ignored:
            return opts, pos, flag
        pos += 1
    return opts, pos, None
