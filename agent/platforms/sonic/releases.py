"""What each SONiC release x ASIC lets the agent change, and how (GCU patch, CLI, or not at all).

Every row names the file and commit it was read from. GCU rows: sonic-utilities
`generic_config_updater/gcu_field_operation_validators.conf.json` + `field_operation_validators.py` +
`gu_common.py` (validate_field_operation runs the validators on make_patch(current, target)). YANG rows:
sonic-buildimage `src/sonic-yang-models/yang-models/*.yang`. Commits are the release branch heads read:

    sonic-utilities  202211 91afc437  202305 86aa8c46  202311 86546348  202405 ced89eb5  202411 ac66b67e
                     202505 7511bf2f  202511 a092c970  master 691b1bbc
    sonic-buildimage 202211 1a8b0411  202305 9c5760cf  202311 e5cd212f  202405 cfc766e1  202411 566f5575
                     202505 ff3c0c9f  master 086b03bd

The release is read from `show version` ("SONiC Software Version: SONiC.20230531.22" -> 202305) and the
ASIC from the HwSKU in DEVICE_METADATA, the way GCU's get_asic_name does (Mellanox lists exact, Broadcom
lists by substring; a HwSKU in no list is "unknown" and GCU then refuses every validated table).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SU = "sonic-utilities@{}:generic_config_updater/gcu_field_operation_validators.conf.json"
BI = "sonic-buildimage@{}:src/sonic-yang-models/yang-models/{}"
SU_COMMITS = {
    "202211": "91afc437",
    "202305": "86aa8c46",
    "202311": "86546348",
    "202405": "ced89eb5",
    "202411": "ac66b67e",
    "202505": "7511bf2f",
    "202511": "a092c970",
    "master": "691b1bbc",
}
BI_COMMITS = {
    "202211": "1a8b0411",
    "202305": "9c5760cf",
    "202311": "e5cd212f",
    "202405": "cfc766e1",
    "202411": "566f5575",
    "202505": "ff3c0c9f",
    "master": "086b03bd",
}
RELEASES = tuple(SU_COMMITS)  # oldest first; "master" sorts last

# HwSKU (lower case) -> (GCU ASIC name, first release whose helper_data lists it). The SKUs the project
# knows; any other HwSKU is looked up by GCU's own rule in the listed families below.
SKU_ASIC: dict[str, tuple[str, str]] = {
    "force10-s6000": ("td2", "202305"),
    "force10-s6000-q24s32": ("td2", "202305"),
    "arista-7050-qx32": ("td2", "202305"),
    "acs-msn2700": ("spc1", "202305"),
    "mellanox-sn2700": ("spc1", "202305"),
    "acs-msn3800": ("spc2", "202305"),
    "mellanox-sn4600c-c64": ("spc3", "202305"),
    "acs-msn4600c": ("spc3", "202305"),
    "acs-msn4700": ("spc3", "202305"),
    "acs-sn5600": ("spc4", "202305"),
    "mellanox-sn5600-o128": ("spc4", "202311"),
    "arista-7060x6-64pe": ("th5", "202411"),
    "arista-7060x6-16pe-384c-b-o128s2": ("th5", "202505"),
    "nokia-ixr7220-h5-64d": ("th5", "202405"),
}
# First build date (YYYYMMDD) from which each ASIC may change PFC_WD timers ("PFCWD enable/disable").
PFCWD_DATES = {"td2": "20181100", "spc1": "20181100", "spc2": "20191100", "spc3": "20220500"}
PFCWD_DATES |= {"spc4": "20221100", "th5": "20240500"}


@dataclass(frozen=True)
class Release:
    name: str  # "202305" ... "master"; "unknown" when show version says nothing usable
    build_date: str | None  # the 8-digit date GCU compares with its platform dates


def parse_release(version: str | None) -> Release:
    """From `SONiC Software Version`: SONiC.20230531.22 -> 202305; SONiC.202511.0-x -> 202511."""
    if not version:
        return Release("unknown", None)
    if "master" in version.lower():
        return Release("master", _date(version))
    match = re.search(r"(?<!\d)(20\d{2})(0[1-9]|1[0-2])(\d{2})?(?!\d)", version)
    return Release(match.group(1) + match.group(2), _date(version)) if match else Release("unknown", None)


def _date(version: str) -> str | None:
    dates = [s for s in version.split(".") if re.fullmatch(r"\d{8}", s)]
    return dates[-1] if dates else None


def _at_least(release: str, first: str) -> bool:
    """Unknown releases are treated as master (the newest rules: what a current image does)."""
    return release in ("master", "unknown") or release >= first


@dataclass(frozen=True)
class Rule:
    """One capability, with the file it was read from."""

    allowed: bool
    source: str
    why: str = ""


@dataclass(frozen=True)
class Capabilities:
    """What GCU and the YANG of one release accept for one HwSKU."""

    release: Release
    hwsku: str
    asic: str  # GCU's name (td2, spc4, th5 ...) or "unknown"
    pfcwd_table_create: Rule  # adding the PFC_WD table (or its GLOBAL row) through GCU
    pfcwd_timers: Rule  # add/replace/remove of action/detection/restoration/POLL_INTERVAL on existing rows
    wred_profile_create: Rule  # a new WRED_PROFILE entry (or any field other than green thresholds)
    pfc_enable_empty: Rule  # `pfc_enable: ""` passes the YANG pattern
    flex_wred_ecn_queue: Rule  # FLEX_COUNTER_TABLE|WRED_ECN_QUEUE exists in the YANG
    wred_counters_cli: Rule  # `show queue wredcounters` exists (ECN-marked counters readable)


def asic_of(hwsku: str, release: str) -> str:
    entry = SKU_ASIC.get(hwsku.lower())
    if entry is None:
        return "unknown"
    return entry[0] if _at_least(release, entry[1]) else "unknown"


def capabilities(release: Release, hwsku: str) -> Capabilities:
    name = release.name
    su = SU.format(SU_COMMITS.get(name, SU_COMMITS["master"]))
    validators = _at_least(name, "202305")
    asic = asic_of(hwsku, name)
    date_ok = release.build_date is None or release.build_date >= PFCWD_DATES.get(asic, "99999999")
    timers = not validators or (asic != "unknown" and date_ok)
    why_asic = f"GCU's helper_data lists no ASIC for HwSKU {hwsku!r} on {name}" if asic == "unknown" else ""
    wred_limited = validators and not _at_least(name, "202511")
    return Capabilities(
        release=release,
        hwsku=hwsku,
        asic=asic,
        pfcwd_table_create=Rule(
            not validators,
            su,
            "the PFC_WD validator sees `add /PFC_WD {...}` whose fields are port names, never in its list",
        ),
        pfcwd_timers=Rule(timers, su, why_asic or "build older than the ASIC's PFCWD date"),
        wred_profile_create=Rule(
            not wred_limited,
            su,
            "only `replace` of green_min/max_threshold and green_drop_probability"
            + (" of AZURE_LOSSLESS" if not _at_least(name, "202505") else "")
            + " is allowed",
        ),
        pfc_enable_empty=Rule(
            _at_least(name, "202505"),
            BI.format(BI_COMMITS.get(name, BI_COMMITS["master"]), "sonic-port-qos-map.yang"),
            "pattern [0-7](,[0-7])* has no empty match",
        ),
        flex_wred_ecn_queue=Rule(
            _at_least(name, "202305"),
            BI.format(BI_COMMITS.get(name, BI_COMMITS["master"]), "sonic-flex_counter.yang"),
            "no WRED_ECN_QUEUE container",
        ),
        wred_counters_cli=Rule(_at_least(name, "202505"), "sonic-utilities:show/main.py queue wredcounters"),
    )


@dataclass(frozen=True)
class DeviceFacts:
    """The identity a plan depends on, from the gather (DEVICE_METADATA + `show version`)."""

    hwsku: str
    platform: str
    buffer_model: str | None
    caps: Capabilities


def device_facts(config_db: dict[str, Any], version: str | None) -> DeviceFacts:
    meta = (config_db.get("DEVICE_METADATA") or {}).get("localhost") or {}
    hwsku = str(meta.get("hwsku", ""))
    model = meta.get("buffer_model")
    return DeviceFacts(
        hwsku=hwsku,
        platform=str(meta.get("platform", "")),
        buffer_model=str(model) if model is not None else None,
        caps=capabilities(parse_release(version), hwsku),
    )
