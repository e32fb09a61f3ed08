"""The per-platform headroom inputs of platforms.yaml: ASIC parameters, port speeds per lane count, gearbox.

Why a table: the same speed and cable give different headroom on an SN4700 400G port (8 lanes, doubled
pipeline latency) and on an SN3800 (400 ns gearbox), so `policy headroom --platform` and the audit of a
live switch need the figures the switch itself has in STATE_DB. They are facts of sonic-buildimage,
kept in the package (platforms.yaml) and compared with real SONiC data by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

from agent.yamlsafe import OncePerDocumentResolver

EIGHT_LANES = 8


@dataclass(frozen=True)
class AsicParams:
    """STATE_DB ASIC_TABLE|<key> values buffermgrd reads (KB fields are multiplied by 1024 by the plugin)."""

    key: str  # e.g. MELLANOX-SPECTRUM-4: the plugin decides tile bytes / Spectrum-6 compensation from it
    cell_size: int
    pipeline_latency_kb: float
    mac_phy_delay_kb: float
    peer_response_time_kb: float
    port_reserved_shp: int | None = None
    port_max_shp: int | None = None
    alias: str | None = None

    @property
    def generation(self) -> int | None:
        """What the plugin reads from the key: its last character when that is a digit (SPECTRUM-4 -> 4)."""
        last = self.key[-1:]
        return int(last) if last.isdigit() else None


@dataclass(frozen=True)
class Gearbox:
    model: str
    delay_ns: float


@dataclass(frozen=True)
class PlatformSpec:
    """One SONiC platform string (`show version` Platform:) and what its ports can run."""

    name: str
    asic: AsicParams
    speeds: frozenset[int] | None  # speeds on ports with fewer than 8 lanes; None = no port data
    speeds_8_lanes: frozenset[int]
    gearbox: Gearbox | None = None

    @property
    def gearbox_delay_ns(self) -> float:
        return self.gearbox.delay_ns if self.gearbox is not None else 0

    def lane_choices(self, speed_mbps: int) -> tuple[bool, ...]:
        """Whether a port at this speed can be 8-lane: (False,), (True,), (False, True); () = unsupported."""
        if self.speeds is None:
            return (False, True)
        return tuple(
            eight for eight, speeds in ((False, self.speeds), (True, self.speeds_8_lanes)) if speed_mbps in speeds
        )

    def all_speeds(self) -> list[int]:
        return sorted((self.speeds or frozenset()) | self.speeds_8_lanes)


@dataclass(frozen=True)
class PlatformTable:
    asics: dict[str, AsicParams]
    platforms: dict[str, PlatformSpec]

    def asic(self, name: str) -> AsicParams:
        """An ASIC by ASIC_TABLE key (MELLANOX-SPECTRUM-4) or alias (spectrum4, vs)."""
        for params in self.asics.values():
            if name in (params.key, params.alias):
                return params
        raise ValueError(f"unknown ASIC {name!r}; known: {', '.join(self.asic_names())}")

    def asic_names(self) -> list[str]:
        return [p.alias or p.key for p in self.asics.values()]

    def platform(self, name: str) -> PlatformSpec:
        spec = self.platforms.get(name)
        if spec is None:
            raise ValueError(f"unknown platform {name!r}; known: {', '.join(sorted(self.platforms))}")
        return spec


def _asic(key: str, entry: dict[str, Any]) -> AsicParams:
    return AsicParams(
        key=key,
        cell_size=int(entry["cell_size"]),
        pipeline_latency_kb=float(entry["pipeline_latency_kb"]),
        mac_phy_delay_kb=float(entry["mac_phy_delay_kb"]),
        peer_response_time_kb=float(entry["peer_response_time_kb"]),
        port_reserved_shp=entry.get("port_reserved_shp"),
        port_max_shp=entry.get("port_max_shp"),
        alias=entry.get("alias"),
    )


def _platform(name: str, entry: dict[str, Any], asics: dict[str, AsicParams]) -> PlatformSpec:
    gearbox = entry.get("gearbox")
    speeds = entry.get("speeds")
    return PlatformSpec(
        name=name,
        asic=asics[entry["asic"]],
        speeds=frozenset(int(s) for s in speeds) if speeds is not None else None,
        speeds_8_lanes=frozenset(int(s) for s in entry.get("speeds_8_lanes") or ()),
        gearbox=Gearbox(str(gearbox["model"]), float(gearbox["delay_ns"])) if gearbox else None,
    )


@lru_cache(maxsize=1)
def platform_table() -> PlatformTable:
    """platforms.yaml, read once (it ships in the package; a broken file is a packaging bug, not input)."""
    text = resources.files("agent.policy").joinpath("platforms.yaml").read_text(encoding="utf-8")
    yaml = YAML(typ="safe")  # the C parser: 5 ms, where pure=True took 27 ms of every audit's CPU
    yaml.Resolver = OncePerDocumentResolver
    doc = yaml.load(text)
    asics = {key: _asic(key, entry) for key, entry in doc["asics"].items()}
    platforms = {name: _platform(name, entry, asics) for name, entry in doc["platforms"].items()}
    return PlatformTable(asics, platforms)


def asic_params(name: str) -> AsicParams:
    return platform_table().asic(name)


def platform_spec(name: str) -> PlatformSpec:
    return platform_table().platform(name)


def lane_count(lanes_field: object) -> int | None:
    """CONFIG_DB PORT.lanes "0,1,2,3,4,5,6,7" -> 8 (buffermgrdyn counts commas + 1); absent -> None.

    A JSON list (a typed reader's form of a comma list) counts its items."""
    if isinstance(lanes_field, list):
        return len(lanes_field) or None
    if lanes_field is None or not str(lanes_field).strip():
        return None
    return str(lanes_field).count(",") + 1


def mellanox_model(platform: object) -> int | None:
    """buffermgrdyn's Mellanox model number: the 4 digits after the first "sn" of DEVICE_METADATA platform
    (x86_64-nvidia_sn5600-r0 -> 5600, x86_64-mlnx_msn4700-r0 -> 4700); None off Mellanox/NVIDIA."""
    text = str(platform or "")
    if not any(vendor in text for vendor in ("mlnx", "nvidia")) or "sn" not in text:
        return None
    digits = text[text.index("sn") + 2 : text.index("sn") + 6]
    return int(digits) if digits.isdigit() else None


def eight_lane_name(model: int | None, speed: str) -> bool:
    """Only SN4xxx below 400G and SN5xxx below 800G get "_8lane" (their top speed exists only on 8 lanes)."""
    if model is None:
        return False
    return (model // 1000 == 4 and speed != "400000") or (model // 1000 == 5 and speed != "800000")
