"""Which TCP ports a lab listens on: the user's choice (`--base-port`, `$LAB_BASE_PORT`), else free ones.

A lab of N nodes needs N consecutive ports on 127.0.0.1 (`base + index`). With no choice given, the
default range starts at 2201 and, when anything there is taken (another lab, another program), the next
free block above it is used instead, so `make demo` and `lab up` work on a busy machine. A range the user
chose is taken as is, and when it is busy the error says which port and how to choose another: a
silent move would surprise scripts that rely on the ports they asked for.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from rocelab.spec import DEFAULT_BASE_PORT, MAX_PORT

BASE_PORT_ENV = "LAB_BASE_PORT"
ADDRESS = "127.0.0.1"
SEARCH_LIMIT = 20000  # how far above the default range to look for a free block


class PortsBusy(Exception):
    """The ports the user chose are taken (message says which and how to choose)."""


@dataclass(frozen=True)
class PortChoice:
    base: int
    how: str  # "option" | "env" | "default" | "moved"
    busy: tuple[int, ...] = ()  # ports of the default range that were taken, when moved


def port_free(port: int, address: str = ADDRESS) -> bool:
    """Can a server bind it right now (the check the lab's listener will make a moment later)?"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's servers do
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def busy_ports(base: int, count: int) -> list[int]:
    return [p for p in range(base, base + count) if not port_free(p)]


def _how_to_choose(count: int) -> str:
    return (
        f"choose another range of {count} with `--base-port N` or `{BASE_PORT_ENV}=N` (e.g. "
        f"`make demo {BASE_PORT_ENV}=3201`), or set neither and the lab picks free ports itself"
    )


def env_base_port() -> int | None:
    text = os.environ.get(BASE_PORT_ENV, "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise PortsBusy(f"${BASE_PORT_ENV}={text!r} is not a port number; {_how_to_choose(1)}")
    return int(text)


def choose_base_port(count: int, option: int | None) -> PortChoice:
    """The base port for `count` twins; raises PortsBusy when a chosen range is taken or none is free."""
    chosen, how = (option, "option") if option is not None else (env_base_port(), "env")
    if chosen is not None:
        busy = busy_ports(chosen, count) if 1024 <= chosen <= MAX_PORT - count + 1 else []
        if busy:
            where = "--base-port" if how == "option" else f"${BASE_PORT_ENV}"
            raise PortsBusy(
                f"ports {chosen}..{chosen + count - 1} ({where}) on {ADDRESS}: {_list(busy)} already in use "
                f"(another lab or program); {_how_to_choose(count)}"
            )
        return PortChoice(chosen, how)
    busy = busy_ports(DEFAULT_BASE_PORT, count)
    if not busy:
        return PortChoice(DEFAULT_BASE_PORT, "default")
    for base in range(DEFAULT_BASE_PORT + count, min(DEFAULT_BASE_PORT + SEARCH_LIMIT, MAX_PORT - count), count):
        if not busy_ports(base, count):
            return PortChoice(base, "moved", tuple(busy))
    raise PortsBusy(f"no {count} consecutive free ports on {ADDRESS} from {DEFAULT_BASE_PORT}; {_how_to_choose(count)}")


def _list(ports: list[int]) -> str:
    shown = ", ".join(str(p) for p in ports[:5])
    return f"port {shown}" if len(ports) == 1 else f"ports {shown}{' ...' if len(ports) > 5 else ''}"
