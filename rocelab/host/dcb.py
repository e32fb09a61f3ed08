"""The twin's `dcb` (iproute2): options and object dispatch, plus the pfc object.

Text and JSON follow iproute2's printers (fields as `name value `, arrays as `i:v `, one line per group;
JSON compact, booleans for on/off). ets/buffer/dcbx/maxrate live in `dcb_objects.py`, app in
`dcb_app.py`. Help goes to stderr with exit 0, except `dcb ets set dev X` without arguments (exit 1),
exactly as iproute2 6.1 does.
"""

from __future__ import annotations

from collections.abc import Callable

from rocelab.host import counters, dcb_driver, dcb_help
from rocelab.host.dcb_app import cmd_app, cmd_apptrust
from rocelab.host.dcb_common import (
    DcbCtx,
    DcbExit,
    DcbHost,
    ObjectHandler,
    SetMapping,
    SetScalar,
    array_text,
    check_range,
    get_nic,
    matches,
    object_handler,
    on_off,
    parse_set_args,
    parse_u,
    show_items,
    store,
    with_nl,
    write_check,
    write_result,
)
from rocelab.host.dcb_objects import BUFFER, DCBX, ETS, MAXRATE
from rocelab.host.nic import BNXT

_SHORT = {"V": "version", "f": "force", "i": "iec", "j": "json", "N": "numeric", "p": "pretty", "s": "stats"}
_LONG = {"--Version": "V", "--force": "f", "--iec": "i", "--json": "j", "--Numeric": "N", "--pretty": "p"}
_LONG |= {"--statistics": "s", "--help": "h", "--netns": "n", "--batch": "b"}


def run_dcb(argv: list[str], host: DcbHost, *, root: bool, flavour: tuple[int, int]) -> tuple[str, str, int]:
    """Run `dcb ARGS`; returns (stdout, stderr, exit status)."""
    ctx = DcbCtx(host=host, root=root, flavour=flavour)
    options, words = _permute(argv)
    for word in options:
        letters = _LONG.get(word, "?") if word.startswith("--") else word[1:]
        for letter in letters:
            if letter == "V":
                return f"dcb utility, iproute2-{flavour[0]}.{flavour[1]}.0\n", "", 0
            if letter == "h":
                return "", dcb_help.MAIN, 0
            if letter in "nb":
                return "", "dcb: netns and batch mode are not available on this host\n", 1
            if letter not in _SHORT:
                return "", "Unknown option.\n" + dcb_help.MAIN, 1
            setattr(ctx, _SHORT[letter], True)
    try:
        _dispatch(ctx, words)
        rc = 0
    except DcbExit as done:
        rc = done.rc
    return ctx.stdout(), "".join(ctx.err), rc


def _permute(argv: list[str]) -> tuple[list[str], list[str]]:
    """GNU getopt_long permutes: options may follow the object (`dcb pfc show dev X -j`); `--` ends them."""
    options: list[str] = []
    words: list[str] = []
    for index, word in enumerate(argv):
        if word == "--":
            return options, words + argv[index + 1 :]
        (options if word.startswith("-") and len(word) > 1 else words).append(word)
    return options, words


def _dispatch(ctx: DcbCtx, args: list[str]) -> None:
    if not args or matches(args[0], "help"):
        ctx.stderr(dcb_help.MAIN)
        return
    objects: list[tuple[str, ObjectHandler]] = [
        ("app", cmd_app),
        ("buffer", object_handler(BUFFER)),
        ("dcbx", object_handler(DCBX)),
        ("ets", object_handler(ETS)),
        ("maxrate", object_handler(MAXRATE)),
        ("pfc", object_handler(PFC)),
    ]
    if ctx.flavour >= (6, 2):
        objects.insert(1, ("apptrust", cmd_apptrust))
    for name, handler in objects:
        if matches(args[0], name):
            handler(ctx, args[1:])
            return
    raise ctx.fail(f'Object "{args[0]}" is unknown\n')


def _pfc_show(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    nic = get_nic(ctx, dev)
    pfc_cap = 3 if nic.driver == BNXT else 8
    enabled = [bool(nic.pfc_en & (1 << p)) for p in range(8)]

    def cap() -> None:
        ctx.put("pfc_cap", pfc_cap, f"pfc-cap {pfc_cap} ")

    def mbc() -> None:
        ctx.put("macsec_bypass", False, "macsec-bypass off ")

    def delay() -> None:
        ctx.put("delay", nic.pfc_delay, f"delay {nic.pfc_delay} ")

    def prio() -> None:
        ctx.put("prio_pfc", enabled, array_text("prio-pfc", ["on" if e else "off" for e in enabled]))

    def requests() -> None:
        values = counters.pfc_requests(nic)
        ctx.put("requests", values, array_text("requests", [str(v) for v in values]))

    def indications() -> None:
        values = counters.pfc_indications(nic)
        ctx.put("indications", values, array_text("indications", [str(v) for v in values]))

    if not args:
        ctx.open()
        groups: list[Callable[[], None]] = [cap, mbc, delay, ctx.nl, prio, ctx.nl]
        if ctx.stats:
            groups += [requests, ctx.nl, indications, ctx.nl]
        for printer in groups:
            printer()
        return
    printers: dict[str, Callable[[], None]] = {
        "prio-pfc": with_nl(ctx, prio),
        "pfc-cap": with_nl(ctx, cap),
        "macsec-bypass": with_nl(ctx, mbc),
        "delay": with_nl(ctx, delay),
        "requests": with_nl(ctx, requests),
        "indications": with_nl(ctx, indications),
    }
    show_items(ctx, args, printers, dcb_help.PFC_SHOW)


def _pfc_set(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    nic = get_nic(ctx, dev)
    bits = [bool(nic.pfc_en & (1 << p)) for p in range(8)]
    delay = nic.pfc_delay

    def set_bit(key: int, value: str) -> str | None:
        state = on_off("PFC", value)
        if isinstance(state, str):
            return state
        return store(bits, key, bool(state), check_range("PRIO", key, 7, "PFC", 0, 1))

    def macsec_bypass(word: str) -> None:
        state = on_off("macsec-bypass", word)
        if isinstance(state, str):
            raise ctx.fail(state)

    def set_delay(word: str) -> None:
        nonlocal delay
        value = parse_u(word, 65535)
        if value is None:
            raise ctx.fail(f"Invalid delay `{word}', expected an integer 0..65535\n")
        delay = value

    keywords: dict[str, SetMapping | SetScalar] = {
        "prio-pfc": (set_bit, "pfc"),
        "macsec-bypass": macsec_bypass,
        "delay": set_delay,
    }
    if not parse_set_args(ctx, args, dcb_help.PFC_SET, keywords):
        return
    nic = write_check(ctx, dev)
    pfc_en = sum(1 << p for p in range(8) if bits[p])
    write_result(ctx, dcb_driver.set_pfc(nic, pfc_en, delay, ctx.host.toggle_link))


PFC = (_pfc_show, _pfc_set, (dcb_help.PFC_HEAD, dcb_help.PFC_SHOW, dcb_help.PFC_SET), 0)
