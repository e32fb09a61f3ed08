"""GCU's field-operation validators as each SONiC release runs them, for the twin's `config apply-patch`.

Facts read from sonic-utilities `generic_config_updater/` (gu_common.py `validate_field_operation`,
field_operation_validators.py, gcu_field_operation_validators.conf.json) on the release branches:
202211 @91afc437, 202305 @86aa8c46, 202311 @86546348, 202405 @ced89eb5, 202411 @ac66b67e, 202505 @7511bf2f,
202511 @a092c970, master @691b1bbc. What the twin reproduces:

* The validators see `jsonpatch.make_patch(current, target)`, not the operations the user sent: creating a
  whole table is one `add /TABLE {key: {...}}` whose "fields" are the row keys.
* rdma_config_update_validator drops path elements containing a digit (port names, `ROCE_ECN_3`),
  lower-cases the rest, appends each key of a dict value unchanged, and needs every resulting field in a
  scenario of the table, the operation in its list, the ASIC in its platforms with a non-empty date, and
  (when the build version has an 8-digit date) that date <= the build's.
* The ASIC comes from the HwSKU: Mellanox lists matched exactly, Broadcom lists by substring; an unknown
  ASIC fails every validated table. 202305-202405 index platforms without a default (a missing ASIC is a
  KeyError, reported as a refusal here).
* 202211 has no validator config, only the illegal removals of `/PFC_WD/GLOBAL[/POLL_INTERVAL]`.
* From 202305 the PORT table's speed and FEC are checked against STATE_DB (gcu_port_validator.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jsonpatch

from rocelab.sonic.gcu_port_validator import PORT_V, StateField, port_ok

RDMA = "generic_config_updater.field_operation_validators.rdma_config_update_validator"
WRED = "generic_config_updater.field_operation_validators.wred_profile_config_update_validator"
BUFFER_PROFILE_V = "generic_config_updater.field_operation_validators.buffer_profile_config_update_validator"
ILLEGAL_REMOVALS = ("/PFC_WD/GLOBAL/POLL_INTERVAL", "/PFC_WD/GLOBAL", "/LOOPBACK_INTERFACE/Loopback0")

# The HwSKUs the lab models, per ASIC, and the first release whose helper_data lists them.
SKU_ASIC: dict[str, tuple[str, str]] = {
    "force10-s6000": ("td2", "202305"),
    "acs-msn2700": ("spc1", "202305"),
    "mellanox-sn4600c-c64": ("spc3", "202305"),
    "acs-sn5600": ("spc4", "202305"),
    "arista-7060x6-16pe-384c-b-o128s2": ("th5", "202505"),
}
ALL_OPS = ("add", "remove", "replace")
# Minimum build date per ASIC for the "PFCWD enable/disable" and "Dynamic threshold tuning" scenarios.
DATES = {"td2": "20181100", "spc1": "20181100", "spc3": "20220500", "spc4": "20221100", "th5": "20240500"}
XOFF_DATES = {**DATES, "td2": "", "spc1": "20191100"}  # "PG headroom modification": td2 never
POOL_DATES = {**DATES, "td2": "", "spc1": "20191100"}


@dataclass(frozen=True)
class Scenario:
    fields: tuple[str, ...]
    operations: tuple[str, ...]
    platforms: dict[str, str]


@dataclass(frozen=True)
class TableRule:
    validator: str
    scenarios: tuple[Scenario, ...]
    exact: bool = True  # rdma: exact match, port elements removed; wred/buffer_profile: ends-with
    object_level_ok: bool = False  # buffer_profile validator: whole-profile add/remove/replace allowed


def _pfc_wd(with_history: bool) -> TableRule:
    names: tuple[str, ...] = ("restoration_time", "detection_time", "action", "global/poll_interval")
    names += ("pfc_stat_history", "") if with_history else ("",)
    return TableRule(RDMA, (Scenario(names, ALL_OPS, DATES),))


_POOL_OLD = Scenario(
    ("ingress_lossless_pool/xoff", "ingress_lossless_pool/size", "egress_lossy_pool/size"), ("replace",), POOL_DATES
)
_PROFILE = (Scenario(("dynamic_th",), ("replace",), DATES), Scenario(("xoff",), ("replace",), XOFF_DATES))
_WRED_OLD = Scenario(
    tuple(f"azure_lossless/{f}" for f in ("green_min_threshold", "green_max_threshold", "green_drop_probability")),
    ("replace",),
    DATES,
)
_GREEN = ("green_min_threshold", "green_max_threshold", "green_drop_probability")
_WRED_NEW = Scenario(_GREEN, ("replace",), DATES)

RULES_202305 = {
    "PFC_WD": _pfc_wd(False),
    "BUFFER_POOL": TableRule(RDMA, (_POOL_OLD,)),
    "BUFFER_PROFILE": TableRule(RDMA, _PROFILE),
    "WRED_PROFILE": TableRule(RDMA, (_WRED_OLD,)),
}
RULES_202505 = {**RULES_202305, "WRED_PROFILE": TableRule(WRED, (_WRED_NEW,), exact=False)}
RULES_202511 = {
    "PFC_WD": _pfc_wd(True),
    "BUFFER_POOL": TableRule(RDMA, (Scenario((), (), {}),)),
    "BUFFER_PROFILE": TableRule(BUFFER_PROFILE_V, _PROFILE, exact=False, object_level_ok=True),
}


def release_of(build_version: str) -> str:
    """`SONiC.20230531.22` -> "202305"; `SONiC.202511.0-x` -> "202511"; master builds -> "master"."""
    match = re.search(r"(?<!\d)(20\d{2})(0[1-9]|1[0-2])(\d{2})?(?!\d)", build_version)
    return match.group(1) + match.group(2) if match else "master"


def branch_date(build_version: str) -> str | None:
    """The 8-digit date GCU compares with the platform dates (None: no version gate)."""
    dates = [s for s in build_version.split(".") if re.fullmatch(r"\d{8}", s)]
    return dates[-1] if dates else None


def rules_for(release: str) -> dict[str, TableRule] | None:
    """None: the release has no field-operation validator config (<= 202211)."""
    if release != "master" and release <= "202211":
        return None
    if release == "master" or release >= "202511":
        return RULES_202511
    return RULES_202505 if release >= "202505" else RULES_202305


def asic_of(hwsku: str, asic_type: str, release: str) -> str:
    entry = SKU_ASIC.get(hwsku.lower())
    if asic_type not in ("mellanox", "broadcom", "vs") or entry is None:
        return "unknown"
    asic, since = entry
    return asic if release == "master" or release >= since else "unknown"


@dataclass(frozen=True)
class Identity:
    """What GCU reads from /etc/sonic/sonic_version.yml and DEVICE_METADATA (and STATE_DB for PORT)."""

    build_version: str
    asic_type: str
    hwsku: str
    state: StateField = lambda port, field: None  # STATE_DB PORT_TABLE|<port> <field>


def check(current: dict[str, Any], target: dict[str, Any], who: Identity) -> str | None:
    """The refusal GCU prints (text after `due to: `), or None when every validator passes."""
    patch = jsonpatch.make_patch(current, target).patch
    for op in patch:
        if op["op"] == "remove" and op["path"] in ILLEGAL_REMOVALS:
            return f"Given patch operation is invalid. Operation: remove is illegal on field: {op['path']}"
    release = release_of(who.build_version)
    rules = rules_for(release)
    if rules is None:
        return None
    asic = asic_of(who.hwsku, who.asic_type, release)
    for op in patch:
        table = _parts(op["path"])[0] if op["path"] else ""
        if table == "PORT" and not port_ok(op, who.state, release):
            return f"Modification of PORT table is illegal- validating function {PORT_V} returned False"
        rule = rules.get(table)
        if rule is not None and not _allowed(rule, op, asic, branch_date(who.build_version)):
            return f"Modification of {table} table is illegal- validating function {rule.validator} returned False"
    return None


def _allowed(rule: TableRule, op: dict[str, Any], asic: str, date: str | None) -> bool:
    parts = _parts(op["path"])
    if rule.object_level_ok and len(parts) == 2:
        return op["op"] in ALL_OPS
    if asic == "unknown":
        return False
    for name in _fields(parts[1:], op.get("value"), drop_ports=rule.exact):
        scenario = next((s for s in rule.scenarios if any(_match(name, f, rule.exact) for f in s.fields)), None)
        if scenario is None or not scenario.platforms.get(asic) or op["op"] not in scenario.operations:
            return False
        if date is not None and date < scenario.platforms[asic]:
            return False
    return True


def _fields(elements: list[str], value: Any, *, drop_ports: bool) -> list[str]:
    kept = [e for e in elements if not any(c.isdigit() for c in e)] if drop_ports else elements
    base = "/".join(kept).lower()
    if isinstance(value, dict):
        return [f"{base}/{k}" if base else str(k) for k in value]
    return [base]


def _match(name: str, field: str, exact: bool) -> bool:
    return name == field if exact else name.split("/")[-1] == field


def _parts(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]
