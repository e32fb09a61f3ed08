"""Real SKUs a switch twin can be: their port layout, buffer pools/profiles, QoS defaults and lookup tables.

Each SKU is a data file, rocelab/sonic/skus/<stem>.json (package data), holding what SONiC's own templates
render for it (tests/unit/rocelab/sonic/test_sonic_twin_skus.py compares every figure with
shared/real-sonic/skus). Figures are data, not code: the file is validated into `Sku` when first used, and a
malformed one fails naming the file and the field. A node picks one with the containerlab label `roce-sku`
(any name, HwSKU or alias of SKU_NAMES).

Per buffer model a SKU has `tables` (device-wide rows: pools, profiles, maps, schedulers, WRED), the rows a
port with a neighbour gets (`active`, keyed table -> key suffix after `<port>|`, "" for tables keyed by the
port alone), the rows of a port without one (`inactive`; Mellanox gives them zero profiles, the other
vendors nothing), ports whose active rows differ (`exceptions`), and the zero pool/profiles Mellanox adds when
a port is inactive (`zero`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ConfigDict, TypeAdapter, ValidationError

Row = Mapping[str, str]
Tables = Mapping[str, Mapping[str, Row]]  # table -> key -> row
# A data file is exact: no coercion ("40000" is not a speed), no unknown field (a typo is not ignored).
_EXACT = ConfigDict(strict=True, extra="forbid")


@dataclass(frozen=True)
class SkuPort:
    __pydantic_config__ = _EXACT

    name: str
    lanes: str
    alias: str
    speed: int  # Mb/s
    fec: str = ""

    @property
    def lane_count(self) -> int:
        return len(self.lanes.split(","))


@dataclass(frozen=True)
class PgLookupRow:
    """One pg_profile_lookup.ini line: `speed cable size xon xoff threshold [xon_offset]`."""

    size: str
    xon: str
    xoff: str
    threshold: str
    xon_offset: str | None


@dataclass(frozen=True)
class Sku:
    __pydantic_config__ = _EXACT

    name: str
    hwsku: str
    platform: str
    asic_type: str  # vs | broadcom | mellanox (DEVICE_METADATA/sonic_version.yml asic_type)
    asic_table: str | None  # STATE_DB ASIC_TABLE key for the dynamic model's headroom plugin
    default_cable: str
    ports: tuple[SkuPort, ...]
    tables: Mapping[str, Tables]  # buffer model -> device-wide tables
    active: Mapping[str, Tables]  # buffer model -> table -> key suffix -> row
    exceptions: Mapping[str, Mapping[str, Tables]]  # buffer model -> port -> its own active rows
    inactive: Mapping[str, Tables]
    zero: Tables  # traditional model, Mellanox: what an inactive port adds to BUFFER_POOL/BUFFER_PROFILE
    pg_lookup: tuple[tuple[int, str, int, int, int, str, str], ...]

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self.tables)

    def lookup(self) -> dict[tuple[str, str], PgLookupRow]:
        """(speed, cable) -> the lossless profile buffermgrd creates (traditional model)."""
        return {
            (str(speed), cable): PgLookupRow(str(size), str(xon), str(xoff), threshold, offset or None)
            for speed, cable, size, xon, xoff, threshold, offset in self.pg_lookup
        }

    def lookup_ini(self) -> str:
        """The table as the device's pg_profile_lookup.ini file (`speed cable size xon xoff threshold [xon_offset]`)."""
        lines = ["# PG lossless profiles.", "# speed cable size xon xoff threshold xon_offset"]
        for speed, cable, size, xon, xoff, threshold, offset in self.pg_lookup:
            lines.append(" ".join(str(c) for c in (speed, cable, size, xon, xoff, threshold, offset) if c != ""))
        return "\n".join(lines) + "\n"

    def port(self, index: int) -> SkuPort | None:
        """The SKU's index-th front-panel port (the lab's port n uses its lanes, alias and FEC)."""
        return self.ports[index] if index < len(self.ports) else None

    def port_rows(self, model: str, port: str, *, active: bool) -> Tables:
        if not active:
            return self.inactive[model]
        return self.exceptions[model].get(port, self.active[model])


class SkuDataError(ValueError):
    """A SKU data file the package ships does not hold a valid SKU (a packaging bug, not user input)."""


SKU_MODULES = {  # SKU name -> its data file rocelab/sonic/skus/<stem>.json
    "docker-sonic-vs": "docker_sonic_vs",
    "Force10-S6000": "force10_s6000",
    "Mellanox-SN4600C-C64": "mellanox_sn4600c_c64",
    "ACS-SN5600": "acs_sn5600",
    "Arista-7060X6-16PE-384C-B-O128S2": "arista_7060x6_16pe_384c_b_o128s2",
}
ALIASES = {"sonic-vs": "docker-sonic-vs", "td2": "Force10-S6000", "sn4600c": "Mellanox-SN4600C-C64"}
ALIASES |= {
    "sn5600": "ACS-SN5600",
    "th5": "Arista-7060X6-16PE-384C-B-O128S2",
    "7060x6": "Arista-7060X6-16PE-384C-B-O128S2",
}
SKU_NAMES = (*SKU_MODULES, *ALIASES)
# The default lab is 400G with 5 m host and 40 m fabric cables: the TH5 SKU is the one real SKU whose
# traditional lookup table has those rows (docker-sonic-vs/S6000 stop at 100G).
DEFAULT_SKU = "ACS-SN5600"
DEFAULT_DYNAMIC_SKU = "Mellanox-SN4600C-C64"  # the dynamic model needs a Mellanox (or vs) headroom plugin: Spectrum-4


def resolve(name: str) -> str | None:
    """A label value -> the SKU name, or None when there is no such SKU."""
    if name in SKU_MODULES:
        return name
    return ALIASES.get(name.lower())


def read_sku_file(path: Path, name: str | None = None) -> Sku:
    """One SKU data file -> `Sku`; `name`, when given, is the SKU the file must declare."""
    try:
        sku = _SKU_ADAPTER.validate_json(path.read_bytes())
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(part) for part in e['loc']) or '(top)'}: {e['msg']}" for e in err.errors())
        raise SkuDataError(f"{path}: not a valid SKU file: {problems}") from None
    if name is not None and sku.name != name:
        raise SkuDataError(f"{path}: declares SKU {sku.name!r}, expected {name!r}")
    return sku


_SKU_ADAPTER = TypeAdapter(Sku)


@cache
def load_sku(name: str = DEFAULT_SKU) -> Sku:
    """The SKU's tables, read once per process and shared by every twin of that SKU."""
    resolved = resolve(name)
    if resolved is None:
        raise ValueError(f"unknown SKU {name!r}; one of {', '.join(SKU_NAMES)}")
    with resources.as_file(resources.files("rocelab.sonic.skus") / f"{SKU_MODULES[resolved]}.json") as path:
        return read_sku_file(path, resolved)
