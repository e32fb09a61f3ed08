"""`dcb ets`, `dcb buffer`, `dcb dcbx` and `dcb maxrate` of the twin (iproute2 printers and parsers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from rocelab.host import dcb_driver, dcb_help
from rocelab.host.dcb_common import (
    DcbCtx,
    ObjectSpec,
    SetMapping,
    SetScalar,
    array_text,
    check_range,
    get_nic,
    matches,
    on_off,
    parse_set_args,
    parse_size,
    parse_u,
    show_items,
    size_text,
    store,
    with_nl,
    write_check,
    write_result,
)
from rocelab.host.nic import (
    BNXT,
    DCBX_CEE,
    DCBX_HOST,
    DCBX_IEEE,
    DCBX_LLD_MANAGED,
    DCBX_STATIC,
    PORT_BUFFER_TOTAL,
    TSA_ETS,
)

TSA_NAMES = {0: "strict", 1: "cbs", 2: "ets", 255: "vendor"}
_TSA_CODES = {"strict": 0, "cbs": 1, "ets": 2, "vendor": 255}
# (keyword, json key, Ets field, kind) in dcb_ets_print order; kind: tsa | u8
_ETS_ARRAYS = (
    ("tc-bw", "tc_bw", "tc_bw", "bw"),
    ("pg-bw", "pg_bw", "pg_bw", "bw"),
    ("tc-tsa", "tc_tsa", "tc_tsa", "tsa"),
    ("prio-tc", "prio_tc", "prio_tc", "tc"),
    ("reco-tc-bw", "reco_tc_bw", "reco_tc_bw", "bw"),
    ("reco-tc-tsa", "reco_tc_tsa", "reco_tc_tsa", "tsa"),
    ("reco-prio-tc", "reco_prio_tc", "reco_prio_tc", "tc"),
)


def _ets_show(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    ets = get_nic(ctx, dev).ets

    def scalar(key: str, word: str, value: int, boolean: bool) -> Callable[[], None]:
        shown = ("on" if value else "off") if boolean else str(value)
        return lambda: ctx.put(key, bool(value) if boolean else value, f"{word} {shown} ")

    def array(word: str, key: str, attr: str, kind: str) -> Callable[[], None]:
        values: tuple[int, ...] = getattr(ets, attr)
        if kind == "tsa":
            names = [TSA_NAMES.get(v, "???") for v in values]
            return lambda: ctx.put(key, names, array_text(word, names))
        return lambda: ctx.put(key, list(values), array_text(word, [str(v) for v in values]))

    willing = scalar("willing", "willing", ets.willing, True)
    cap = scalar("ets_cap", "ets-cap", ets.ets_cap, False)
    cbs = scalar("cbs", "cbs", ets.cbs, True)
    arrays = {word: array(word, key, attr, kind) for word, key, attr, kind in _ETS_ARRAYS}
    if not args:
        ctx.open()
        for printer in (willing, cap, cbs, ctx.nl):
            printer()
        for printer in arrays.values():
            printer()
            ctx.nl()
        return
    printers = {"willing": willing, "ets-cap": cap, "cbs": cbs, **arrays}
    show_items(ctx, args, {k: with_nl(ctx, p) for k, p in printers.items()}, dcb_help.ETS_SHOW)


def _ets_mapping(kind: str, target: list[int]) -> Callable[[int, str], str | None]:
    def apply(key: int, value: str) -> str | None:
        if kind == "tsa":
            code = next((c for name, c in _TSA_CODES.items() if matches(value, name)), None)
            if code is None:
                return f'Error: argument of "TSA" must be one of "strict", "cbs", "ets", "vendor", not "{value}"\n'
            problem = check_range("TC", key, 7, "TSA", 0, 255)
        else:
            number = parse_u(value, 255)
            if number is None:
                return ""
            what = ("PRIO", "TC", 7) if kind == "tc" else ("TC", "BW", 100)
            code = number
            problem = check_range(what[0], key, 7, what[1], number, what[2])
        return store(target, key, code, problem)

    return apply


def _validate_bw(ctx: DcbCtx, bw: list[int], tsa: list[int], what: str) -> None:
    """dcb_ets_validate_bw: client-side check before anything is sent to the kernel."""
    has_ets = TSA_ETS in tsa
    for tc, value in enumerate(bw):
        if value > 100:
            raise ctx.fail(f"{value}% for TC {tc} of {what} is not a valid bandwidth percentage, expected 0..100%\n")
    total = sum(bw)
    if total == 100 or (not has_ets and total == 0):
        return
    raise ctx.fail(f"Bandwidth percentages in {what} sum to {total}%, expected {100 if has_ets else 0}%\n")


def _ets_set(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    ets = get_nic(ctx, dev).ets
    work = {attr: list(getattr(ets, attr)) for _w, _k, attr, _kind in _ETS_ARRAYS}
    willing = ets.willing

    def set_willing(word: str) -> None:
        nonlocal willing
        state = on_off("willing", word)
        if isinstance(state, str):
            raise ctx.fail(state)
        willing = state

    keywords: dict[str, SetMapping | SetScalar] = {"willing": set_willing}
    keywords |= {word: (_ets_mapping(kind, work[attr]), word) for word, _key, attr, kind in _ETS_ARRAYS}
    if not parse_set_args(ctx, args, dcb_help.ETS_SET, keywords):
        return
    _validate_bw(ctx, work["tc_bw"], work["tc_tsa"], "tc-bw")
    _validate_bw(ctx, work["reco_tc_bw"], work["reco_tc_tsa"], "reco-tc-bw")
    nic = write_check(ctx, dev)
    arrays = {attr: tuple(values) for attr, values in work.items()}
    new = replace(ets, willing=willing, **arrays)  # type: ignore[arg-type]
    write_result(ctx, dcb_driver.set_ets(nic, new))


def _no_getter(ctx: DcbCtx, dev: str) -> None:
    """The driver has dcbnl_ops but not this getter: the IEEE_GET reply lacks the attribute."""
    nic = get_nic(ctx, dev)
    if nic.driver == BNXT:
        raise ctx.fail("Attribute not found: Success\n")


def _buffer_show(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    _no_getter(ctx, dev)
    prio_buffer, sizes = get_nic(ctx, dev).current_buffer()

    def prio() -> None:
        ctx.put("prio_buffer", list(prio_buffer), array_text("prio-buffer", [str(b) for b in prio_buffer]))

    def size() -> None:
        ctx.put("buffer_size", list(sizes), array_text("buffer-size", [size_text(s) for s in sizes]))

    def total() -> None:
        ctx.put("total_size", PORT_BUFFER_TOTAL, f"total-size {size_text(PORT_BUFFER_TOTAL)} ")

    if not args:
        ctx.open()
        for printer in (prio, ctx.nl, size, ctx.nl, total, ctx.nl):
            printer()
        return
    printers = {"prio-buffer": prio, "buffer-size": size, "total-size": total}
    show_items(ctx, args, {k: with_nl(ctx, p) for k, p in printers.items()}, dcb_help.BUFFER_SHOW)


def _buffer_set(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    _no_getter(ctx, dev)
    current_prio, current_sizes = get_nic(ctx, dev).current_buffer()
    prio_buffer, sizes = list(current_prio), list(current_sizes)

    def set_prio(key: int, value: str) -> str | None:
        number = parse_u(value, 255)
        if number is None:
            return ""
        return store(prio_buffer, key, number, check_range("PRIO", key, 7, "BUFFER", number, 7))

    def set_size(key: int, value: str) -> str | None:
        number = parse_size(value)
        if number is None:
            return f"{key}:{value}: Illegal value for buffer size\n"
        return store(sizes, key, number, check_range("BUFFER", key, 7, "INTEGER", 0, 1))

    keywords: dict[str, SetMapping | SetScalar] = {
        "prio-buffer": (set_prio, "priority"),
        "buffer-size": (set_size, "buffer size"),
    }
    if not parse_set_args(ctx, args, dcb_help.BUFFER_SET, keywords):
        return
    nic = write_check(ctx, dev)
    write_result(ctx, dcb_driver.set_buffer(nic, tuple(prio_buffer), tuple(sizes)))


_DCBX_FLAGS = (
    (DCBX_HOST, "host", "host"),
    (DCBX_LLD_MANAGED, "lld-managed", "lld_managed"),
    (DCBX_CEE, "cee", "cee"),
    (DCBX_IEEE, "ieee", "ieee"),
    (DCBX_STATIC, "static", "static"),
)


def _dcbx_show(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    mode = get_nic(ctx, dev).dcbx
    for word in args:
        if matches(word, "help"):
            ctx.stderr(dcb_help.DCBX_SHOW)
            return
        ctx.stderr(f'What is "{word}"?\n')
        raise ctx.fail(dcb_help.DCBX_SHOW)
    ctx.open()
    for bit, word, key in _DCBX_FLAGS:
        if mode & bit:
            ctx.put(key, True, f"{word} ")
    ctx.nl()


def _dcbx_set(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    mode = 0
    for word in args:
        if matches(word, "help"):
            ctx.stderr(dcb_help.DCBX_SET)
            return
        flag = next((bit for bit, name, _key in _DCBX_FLAGS if matches(word, name)), None)
        if flag is None:
            ctx.stderr(f'What is "{word}"?\n')
            raise ctx.fail(dcb_help.DCBX_SET)
        mode |= flag
    nic = write_check(ctx, dev)
    if dcb_driver.set_dcbx(nic, mode):
        # The driver's u8 status 1 comes back as errno -1 (reference §1.8).
        raise ctx.fail("Attribute write: Unknown error -1\n")


def _maxrate_show(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    _no_getter(ctx, dev)
    rates = list(get_nic(ctx, dev).maxrate)
    if ctx.flavour >= (6, 18):
        rates = [r * 125 for r in rates]  # kbit/s -> bytes/s since e7d4c060
    ctx.open()
    ctx.put("tc_maxrate", rates, array_text("tc-maxrate", [f"{r}bit" for r in rates]))
    ctx.nl()


def _maxrate_set(ctx: DcbCtx, dev: str, args: list[str]) -> None:
    _no_getter(ctx, dev)
    raise ctx.fail("dcb maxrate set is not modelled by this twin\n")


ETS: ObjectSpec = (_ets_show, _ets_set, (dcb_help.ETS_HEAD, dcb_help.ETS_SHOW, dcb_help.ETS_SET), 1)
BUFFER: ObjectSpec = (_buffer_show, _buffer_set, (dcb_help.BUFFER_HEAD, dcb_help.BUFFER_SHOW, dcb_help.BUFFER_SET), 0)
DCBX: ObjectSpec = (_dcbx_show, _dcbx_set, (dcb_help.DCBX_HEAD, dcb_help.DCBX_SHOW, dcb_help.DCBX_SET), 0)
MAXRATE: ObjectSpec = (_maxrate_show, _maxrate_set, ("Usage: dcb maxrate help\n\n", "", ""), 0)
