"""Shared machinery of the twin's `dcb`: output (text and JSON like iproute2's json_writer), argument
helpers (`matches`, `parse_mapping`) and the GET/SET error paths (`Attribute read:` / `Attribute write:`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from rocelab.host import jsonw
from rocelab.host.nic import Nic


class DcbHost(Protocol):
    """What `dcb` needs from the twin: its NICs, the link flap, and armed APP-write faults."""

    def nic(self, dev: str) -> Nic | None: ...

    def toggle_link(self, nic: Nic) -> None: ...

    def app_write_fault(self, nic: Nic) -> int:
        """errno the kernel should return for the next APP write on this NIC (0 = none)."""
        ...


class DcbExit(Exception):
    """Ends the command: `rc` is dcb's exit status (1 for any failure, 0 for help and app replace)."""

    def __init__(self, rc: int = 1) -> None:
        super().__init__(rc)
        self.rc = rc


@dataclass
class DcbCtx:
    host: DcbHost
    json: bool = False
    stats: bool = False
    numeric: bool = False
    pretty: bool = False
    root: bool = False
    flavour: tuple[int, int] = (6, 1)
    text: list[str] = field(default_factory=list)
    obj: dict[str, Any] | None = None
    err: list[str] = field(default_factory=list)

    def stderr(self, message: str) -> None:
        self.err.append(message)

    def fail(self, message: str, rc: int = 1) -> DcbExit:
        self.err.append(message)
        return DcbExit(rc)

    def open(self) -> dict[str, Any]:
        self.obj = {}
        return self.obj

    def line(self, text: str) -> None:
        self.text.append(text + "\n")

    def put(self, key: str, value: Any, text: str) -> None:
        """One field: JSON key/value, or its text form (iproute2 prints `name value ` then a newline)."""
        if self.obj is not None and self.json:
            self.obj[key] = value
        self.text.append(text)

    def nl(self) -> None:
        self.text.append("\n")

    def stdout(self) -> str:
        if not self.json:
            return "".join(self.text)
        if self.obj is None:
            return "\n"
        return jsonw.dumps(self.obj, pretty=self.pretty)


def matches(arg: str, keyword: str) -> bool:
    """iproute2 `matches()`: a non-empty prefix of the keyword."""
    return bool(arg) and keyword.startswith(arg)


def errno_text(code: int) -> str:
    return os.strerror(code)


def _dcb_nic(ctx: DcbCtx, dev: str, access: str) -> Nic:
    """The kernel's device and dcbnl_ops checks, shared by GET and SET; `access` is dcb's word for the
    request ("read" / "write") in the `Attribute <access>:` message."""
    nic = ctx.host.nic(dev)
    if nic is None:
        raise ctx.fail(f"Attribute {access}: No such device\n")
    if not nic.has_dcb:
        raise ctx.fail(f"Attribute {access}: Operation not supported\n")
    return nic


def get_nic(ctx: DcbCtx, dev: str) -> Nic:
    """RTM_GETDCB: `Attribute read:` errors for unknown devices and devices without dcbnl_ops."""
    return _dcb_nic(ctx, dev, "read")


def write_check(ctx: DcbCtx, dev: str) -> Nic:
    """RTM_SETDCB preconditions in kernel order: CAP_NET_ADMIN, device, dcbnl_ops."""
    if not ctx.root:
        raise ctx.fail("Attribute write: Operation not permitted\n")
    return _dcb_nic(ctx, dev, "write")


def write_result(ctx: DcbCtx, err: int) -> None:
    if err:
        raise ctx.fail(f"Attribute write: {errno_text(err)}\n")


def parse_u(text: str, limit: int) -> int | None:
    """strtoul with base 0 (decimal, 0x hex, 0 octal) like iproute2 get_u8/get_u16/get_u32."""
    try:
        number = int(text, 0) if not (len(text) > 1 and text[0] == "0" and text[1].isdigit()) else int(text, 8)
    except ValueError:
        return None
    return number if 0 <= number <= limit else None


MappingCb = Callable[[int, str], str | None]  # (key or -1 for all, value) -> error message or None


def parse_mapping(
    argv: list[str], pos: int, key_parser: Callable[[str], int | None], cb: MappingCb
) -> tuple[int, str | None, str]:
    """iproute2 parse_mapping_gen: consume KEY:VALUE words from argv[pos]; stop at a word without ':'.

    Returns (next position, error message or None, the key text of the failing word).
    """
    while pos < len(argv):
        word = argv[pos]
        if ":" not in word:
            break
        key_text, value = word.split(":", 1)
        key = key_parser(key_text)
        if key is None:
            return pos, "", key_text
        problem = cb(key, value)
        if problem is not None:
            return pos, problem, key_text
        pos += 1
    return pos, None, ""


def key_num_all(text: str) -> int | None:
    if matches(text, "all"):
        return -1
    return parse_u(text, 0xFFFFFFFF)


def key_num(text: str) -> int | None:
    return parse_u(text, 0xFFFFFFFF)


def check_range(what_key: str, key: int, max_key: int, what_value: str, value: int, max_value: int) -> str | None:
    """dcb_parse_mapping's range checks with its exact messages."""
    if key != -1 and key > max_key:
        return f"In {what_key}:{what_value} mapping, {what_key} is expected to be 0..{max_key}\n"
    if value > max_value:
        return f"In {what_key}:{what_value} mapping, {what_value} is expected to be 0..{max_value}\n"
    return None


def keys(key: int, max_key: int) -> range:
    return range(max_key + 1) if key == -1 else range(key, key + 1)


T = TypeVar("T")


def store(target: list[T], key: int, value: T, problem: str | None) -> str | None:
    """The tail of every KEY:VALUE callback: write `value` at `key` (-1 = every priority/TC 0..7) only
    when the range check passed, and hand the check's message back to parse_mapping."""
    if problem is None:
        for index in keys(key, 7):
            target[index] = value
    return problem


def on_off(what: str, value: str) -> int | str:
    """parse_on_off: 1/0, or the error message."""
    for index, word in enumerate(("off", "on")):
        if matches(value, word):
            return index
    return f'Error: argument of "{what}" must be "on" or "off", not "{value}"\n'


def array_text(name: str, values: list[str]) -> str:
    return name + " " + "".join(f"{i}:{v} " for i, v in enumerate(values))


def size_text(size: int) -> str:
    """tc's sprint_size (used for buffer sizes): Mb / Kb when close to a whole unit, else bytes."""
    if size >= 1024 * 1024 and abs(1024 * 1024 * round(size / (1024 * 1024)) - size) < 1024:
        return f"{round(size / (1024 * 1024))}Mb"
    if size >= 1024 and abs(1024 * round(size / 1024) - size) < 16:
        return f"{round(size / 1024)}Kb"
    return f"{size}b"


def parse_size(text: str) -> int | None:
    """tc get_size: bytes with optional k/m/g (bytes) or kbit/mbit/gbit/bit suffix."""
    units = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1 << 20, "mb": 1 << 20, "g": 1 << 30, "gb": 1 << 30}
    bits = {"bit": 1, "kbit": 1024, "mbit": 1 << 20, "gbit": 1 << 30}
    digits = len(text) - len(text.lstrip("0123456789."))
    if digits == 0:
        return None
    try:
        number = float(text[:digits])
    except ValueError:
        return None
    unit = text[digits:].lower()
    if unit in units:
        return int(number * units[unit])
    if unit in bits:
        return int(number * bits[unit] / 8)
    return None


Handler = Callable[[DcbCtx, str, list[str]], None]
ObjectHandler = Callable[[DcbCtx, list[str]], None]
ObjectSpec = tuple[Handler, Handler, tuple[str, str, str], int]  # show, set, (head, show, set help), set-noarg rc


def object_handler(spec: ObjectSpec) -> ObjectHandler:
    """`dcb OBJ {show|set} dev DEV ...` dispatch shared by pfc, ets, buffer, dcbx and maxrate."""
    show, set_, (head, show_help, set_help), set_noarg_rc = spec

    def handler(ctx: DcbCtx, args: list[str]) -> None:
        if not args or matches(args[0], "help"):
            ctx.stderr(head + show_help + set_help)
            return
        if matches(args[0], "show"):
            dev, rest = parse_dev(ctx, args[1:], show_help)
            if dev is not None:
                show(ctx, dev, rest)
            return
        if matches(args[0], "set"):
            dev, rest = parse_dev(ctx, args[1:], set_help)
            if dev is None:
                return
            if not rest:
                ctx.stderr(set_help)
                raise DcbExit(set_noarg_rc)
            set_(ctx, dev, rest)
            return
        ctx.stderr(f'What is "{args[0]}"?\n')
        raise ctx.fail(head + show_help + set_help)

    return handler


def parse_dev(ctx: DcbCtx, args: list[str], help_text: str) -> tuple[str | None, list[str]]:
    """dcb_cmd_parse_dev: `dev DEV` first; no args or `help` prints help (exit 0)."""
    if not args or matches(args[0], "help"):
        ctx.stderr(help_text)
        return None, []
    if not matches(args[0], "dev"):
        raise ctx.fail(f"Expected `dev DEV', not `{args[0]}'" + help_text)
    dev = args[need(ctx, args, 0)]
    if len(dev) >= 16 or "/" in dev or any(c.isspace() for c in dev) or dev in (".", ".."):
        raise ctx.fail(f'Error: argument "{dev}" is wrong: not a valid ifname\n', rc=255)
    return dev, args[2:]


def need(ctx: DcbCtx, args: list[str], pos: int) -> int:
    """NEXT_ARG(): the keyword must be followed by a value."""
    if pos + 1 >= len(args):
        raise ctx.fail('Command line is not complete. Try option "help"\n', rc=255)
    return pos + 1


SetMapping = tuple[MappingCb, str]  # KEY:VALUE callback, and the word in "Invalid <word> mapping"
SetScalar = Callable[[str], None]  # takes the one value word; raises ctx.fail on a bad value


def parse_set_args(ctx: DcbCtx, args: list[str], help_text: str, keywords: dict[str, SetMapping | SetScalar]) -> bool:
    """The argument loop every `dcb OBJ set dev DEV ...` shares: keywords are tried in the order given
    (iproute2 matches prefixes, so the order decides ambiguous ones), a mapping keyword consumes KEY:VALUE
    words, a scalar one exactly one value. False when `help` was printed: the caller must not write."""
    pos = 0
    while pos < len(args):
        word = args[pos]
        if matches(word, "help"):
            ctx.stderr(help_text)
            return False
        keyword = next((k for k in keywords if matches(word, k)), None)
        if keyword is None:
            ctx.stderr(f'What is "{word}"?\n')
            raise ctx.fail(help_text)
        handler = keywords[keyword]
        if isinstance(handler, tuple):
            callback, label = handler
            pos, problem, key_text = parse_mapping(args, need(ctx, args, pos), key_num_all, callback)
            if problem is not None:
                raise ctx.fail(problem + f"Invalid {label} mapping {key_text}\n")
        else:
            handler(args[need(ctx, args, pos)])
            pos += 2
    return True


def show_items(ctx: DcbCtx, args: list[str], printers: dict[str, Callable[[], None]], help_text: str) -> None:
    """`dcb X show dev D item ...`: print the named groups in the order given."""
    ctx.open()
    for word in args:
        if matches(word, "help"):
            ctx.stderr(help_text)
            return
        printer = next((p for name, p in printers.items() if matches(word, name)), None)
        if printer is None:
            ctx.stderr(f'What is "{word}"?\n')
            raise ctx.fail(help_text)
        printer()


def with_nl(ctx: DcbCtx, printer: Callable[[], None]) -> Callable[[], None]:
    def printed() -> None:
        printer()
        ctx.nl()

    return printed
