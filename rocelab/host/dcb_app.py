"""`dcb app` and `dcb apptrust` of the twin.

JSON per flavour (reference §0.2, §1.4): iproute2 6.1 prints entries as `[pid, prio]`, >= 6.5 as
`[pid, prio, " "]`. Keys appear only when non-empty, in the order ethtype, default, dscp, stream-port,
dgram-port, port, pcp; entries sorted by (protocol, priority). Text names DSCP values from
/etc/iproute2/rt_dsfield unless -N. `app replace` exits 0 even when the kernel refused the write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rocelab.host import dcb_driver, dcb_help
from rocelab.host.dcb_common import (
    DcbCtx,
    DcbExit,
    check_range,
    errno_text,
    get_nic,
    key_num,
    matches,
    need,
    parse_dev,
    parse_mapping,
    parse_u,
    write_check,
    write_result,
)
from rocelab.host.nic import SEL_ANY, SEL_DGRAM, SEL_DSCP, SEL_ETHERTYPE, SEL_PCP, SEL_STREAM, App, Nic

# /etc/iproute2/rt_dsfield (Debian 12), keyed by DSCP (dsfield >> 2). DSCP 0 prints as "0": the table
# slot starts as "0" and the file (which names it "default") is only loaded on the first miss.
DSCP_NAMES = {8: "CS1", 16: "CS2", 24: "CS3", 32: "CS4", 40: "CS5", 48: "CS6", 56: "CS7", 46: "EF"}
DSCP_NAMES |= {10: "AF11", 12: "AF12", 14: "AF13", 18: "AF21", 20: "AF22", 22: "AF23", 26: "AF31"}
DSCP_NAMES |= {28: "AF32", 30: "AF33", 34: "AF41", 36: "AF42", 38: "AF43"}
_DSCP_BY_NAME = {name: dscp for dscp, name in DSCP_NAMES.items()} | {"default": 0}
PCP_NAMES = [f"{p}nd" for p in range(8)] + [f"{p}de" for p in range(8)]

_Group = tuple[str, str, Callable[[App], bool], str]  # keyword, JSON key, selector filter, text key printer kind
_GROUPS: tuple[_Group, ...] = (
    ("ethtype-prio", "ethtype_prio", lambda a: a[0] == SEL_ETHERTYPE and a[1] != 0, "hex"),
    ("default-prio", "default_prio", lambda a: a[0] == SEL_ETHERTYPE and a[1] == 0, "default"),
    ("dscp-prio", "dscp_prio", lambda a: a[0] == SEL_DSCP, "dscp"),
    ("stream-port-prio", "stream_port_prio", lambda a: a[0] == SEL_STREAM, "dec"),
    ("dgram-port-prio", "dgram_port_prio", lambda a: a[0] == SEL_DGRAM, "dec"),
    ("port-prio", "port_prio", lambda a: a[0] == SEL_ANY, "dec"),
    ("pcp-prio", "pcp_prio", lambda a: a[0] == SEL_PCP, "pcp"),
)


def cmd_app(ctx: DcbCtx, args: list[str]) -> None:
    if not args or matches(args[0], "help"):
        ctx.stderr(dcb_help.APP_HEAD + _show_help(ctx) + _add_help(ctx))
        return
    verbs: list[tuple[str, Callable[[DcbCtx, str, list[str]], None], bool]] = [
        ("show", _show, True),
        ("flush", _flush, True),
        ("add", _add, False),
        ("del", _delete, False),
        ("replace", _replace, False),
    ]
    for verb, handler, show_like in verbs:
        if matches(args[0], verb):
            dev, rest = parse_dev(ctx, args[1:], _show_help(ctx) if show_like else _add_help(ctx))
            if dev is not None:
                handler(ctx, dev, rest)
            return
    ctx.stderr(f'What is "{args[0]}"?\n')
    raise ctx.fail(dcb_help.APP_HEAD + _show_help(ctx) + _add_help(ctx))


def cmd_apptrust(ctx: DcbCtx, args: list[str]) -> None:
    """mlx5/bnxt have no apptrust ops: the IEEE_GET reply lacks the attribute (reference §1.5)."""
    if len(args) >= 3 and matches(args[1], "dev"):
        get_nic(ctx, args[2])
        raise ctx.fail("Attribute not found: Success\n")
    raise ctx.fail("Usage: dcb apptrust { show | set } dev STRING\n\n")


def _show_help(ctx: DcbCtx) -> str:
    text = dcb_help.APP_SHOW
    return text.replace("[ dscp-prio ]\n", "[ dscp-prio ]\n           [ pcp-prio ]\n") if _pcp(ctx) else text


def _add_help(ctx: DcbCtx) -> str:
    text = dcb_help.APP_SET
    if _pcp(ctx):
        text = text.replace("INTEGER:PRIO ]\n", "INTEGER:PRIO ]\n           [ pcp-prio PCP:PRIO ]\n")
        text = text.replace("0 .. 63 }\n", "0 .. 63 }\n       PCP := { 0(nd/de) .. 7(nd/de) }\n")
    return text


def _pcp(ctx: DcbCtx) -> bool:
    return ctx.flavour >= (6, 2)


def _sorted(nic: Nic) -> list[App]:
    return sorted(nic.apps, key=lambda a: (a[1], a[2]))


def _print_group(ctx: DcbCtx, apps: list[App], group: tuple[str, str, Callable[[App], bool], str]) -> None:
    word, key, keep, kind = group
    chosen = [a for a in apps if keep(a)]
    if not chosen or (kind == "pcp" and not _pcp(ctx)):
        return
    if kind == "default":
        ctx.put(key, [a[2] for a in chosen], "default-prio " + "".join(f"{a[2]} " for a in chosen))
        ctx.nl()
        return
    entries: list[list[object]] = []
    text = word + " "
    for _sel, protocol, prio in chosen:
        pid: object = protocol
        if kind == "pcp" and not ctx.numeric and protocol < len(PCP_NAMES):
            pid = PCP_NAMES[protocol]
        entries.append([pid, prio, " "] if ctx.flavour >= (6, 5) else [pid, prio])
        text += f"{_text_key(ctx, kind, protocol)}:{prio} "
    ctx.put(key, entries, text)
    ctx.nl()


def _text_key(ctx: DcbCtx, kind: str, protocol: int) -> str:
    if kind == "hex":
        return f"{protocol:x}"
    if kind == "dscp" and not ctx.numeric:
        return DSCP_NAMES.get(protocol, str(protocol))
    if kind == "pcp" and not ctx.numeric and protocol < len(PCP_NAMES):
        return PCP_NAMES[protocol]
    return str(protocol)


def _show(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    apps = _sorted(get_nic(ctx, dev))
    ctx.open()
    if not args:
        for group in _GROUPS:
            _print_group(ctx, apps, group)
        return
    for group in _named_groups(ctx, args):
        _print_group(ctx, apps, group)  # on a later bad word, what was printed so far is still printed


def _named_groups(ctx: DcbCtx, args: list[str], exclude: tuple[str, ...] = ()) -> Iterator[_Group]:
    """The groups `show` / `flush` name, one at a time, so each is acted on before the next word is read
    (as dcb does): `help` stops quietly, an unknown (or excluded) word fails after the earlier ones ran."""
    for word in args:
        if matches(word, "help"):
            ctx.stderr(_show_help(ctx))
            return
        group = _find_group(ctx, word)
        if group is None or group[0] in exclude:
            ctx.stderr(f'What is "{word}"?\n')
            raise ctx.fail(_show_help(ctx))
        yield group


def _find_group(ctx: DcbCtx, word: str) -> _Group | None:
    for group in _GROUPS:
        if group[3] == "pcp":
            if word == "pcp-prio" and _pcp(ctx):
                return group
        elif matches(word, group[0]):
            return group
    return None


def _flush(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    nic = get_nic(ctx, dev)
    apps = list(nic.apps)
    if not args:
        _write(ctx, dev, "del", apps)
        return
    for group in _named_groups(ctx, args, exclude=("stream-port-prio", "dgram-port-prio", "port-prio")):
        _write(ctx, dev, "del", [a for a in apps if group[2](a)])


def _add(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    entries = _parse_entries(ctx, args)
    if entries is not None:
        _write(ctx, dev, "add", entries)


def _delete(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    entries = _parse_entries(ctx, args)
    if entries is not None:
        _write(ctx, dev, "del", entries)


def _replace(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    """Add the new entries, then delete others with the same key; any failure after the read exits 0."""
    original = list(get_nic(ctx, dev).apps)
    try:
        wanted = _parse_entries(ctx, args)
        if wanted is None:
            return
        new = [a for a in wanted if a not in original]
        try:
            _write(ctx, dev, "add", new)
        except DcbExit:
            ctx.stderr("Could not add new APP entries\n")
            return
        keys = {(a[0], a[1]) for a in wanted}
        obsolete = [a for a in original if (a[0], a[1]) in keys and a not in wanted]
        try:
            _write(ctx, dev, "del", obsolete)
        except DcbExit:
            ctx.stderr("Could not remove replaced APP entries\n")
    except DcbExit:
        return


def _write(ctx: DcbCtx, dev: str, op: str, entries: list[App]) -> None:
    """One RTM_SETDCB IEEE_SET/IEEE_DEL carrying all entries; nothing is sent for an empty table."""
    if not entries:
        return
    nic = write_check(ctx, dev)
    write_result(ctx, ctx.host.app_write_fault(nic))
    write_result(ctx, dcb_driver.app_add(nic, entries) if op == "add" else dcb_driver.app_del(nic, entries))


def _parse_entries(ctx: DcbCtx, args: list[str]) -> list[App] | None:
    """dcb_cmd_app_parse_add_del; None when help was printed (exit 0 without writing)."""
    if not args:
        ctx.stderr(_add_help(ctx))
        return None
    entries: list[App] = []
    pos = 0
    while pos < len(args):
        word = args[pos]
        if matches(word, "help"):
            ctx.stderr(_add_help(ctx))
            return None
        if matches(word, "default-prio"):
            # dcb_app_parse_default_prio eats numbers to the end; any other word after it is an error.
            pos = need(ctx, args, pos)
            while pos < len(args):
                prio = parse_u(args[pos], 255)
                if prio is None:
                    raise ctx.fail(f"Invalid default priority {args[pos]}\n")
                entries.append((SEL_ETHERTYPE, 0, prio))
                pos += 1
            continue
        parser = _entry_parser(ctx, word)
        if parser is None:
            ctx.stderr(f'What is "{word}"?\n')
            raise ctx.fail(_add_help(ctx))
        selector, key_parser, check = parser

        def push(key: int, value: str, selector: int = selector, check: _Check = check) -> str | None:
            prio = parse_u(value, 255)
            if prio is None:
                return ""
            problem = check(key, prio)
            if problem is None:
                entries.extend((selector, k, prio) for k in (range(64) if key == -1 else (key,)))
            return problem

        pos, problem, key_text = parse_mapping(args, need(ctx, args, pos), key_parser, push)
        if problem is not None:
            raise ctx.fail(problem + f"Invalid mapping {key_text}\n")
    return entries


_Check = Callable[[int, int], str | None]


def _entry_parser(ctx: DcbCtx, word: str) -> tuple[int, Callable[[str], int | None], _Check] | None:
    def port_check(key: int, prio: int) -> str | None:
        if key == 0:
            return "Port ID of 0 is invalid\n"
        return check_range("PORT", key, 0xFFFF, "PRIO", prio, 7)

    def ethtype_check(key: int, prio: int) -> str | None:
        if key < 0x600:
            return "Protocol IDs < 0x600 are reserved for EtherType\n"
        return check_range("ETHTYPE", key, 0xFFFF, "PRIO", prio, 7)

    table: list[tuple[str, int, Callable[[str], int | None], _Check]] = [
        ("ethtype-prio", SEL_ETHERTYPE, key_num, ethtype_check),
        ("dscp-prio", SEL_DSCP, _dscp_key, lambda k, p: check_range("DSCP", k, 63, "PRIO", p, 7)),
        ("stream-port-prio", SEL_STREAM, key_num, port_check),
        ("dgram-port-prio", SEL_DGRAM, key_num, port_check),
        ("port-prio", SEL_ANY, key_num, port_check),
    ]
    for name, selector, key_parser, check in table:
        if matches(word, name):
            return selector, key_parser, check
    if word == "pcp-prio" and _pcp(ctx):
        return SEL_PCP, _pcp_key, lambda k, p: check_range("PCP", k, 15, "PRIO", p, 7)
    return None


def _dscp_key(text: str) -> int | None:
    if matches(text, "all"):
        return -1
    number = parse_u(text, 0xFFFFFFFF)
    if number is not None:
        return number
    return _DSCP_BY_NAME.get(text)


def _pcp_key(text: str) -> int | None:
    return PCP_NAMES.index(text) if text in PCP_NAMES else None


__all__ = ["cmd_app", "cmd_apptrust", "errno_text"]
